package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"microwizard/internal/testenv/mariadbtest"
)

// lobstersdb runs the command with args and returns its exit status and output.
func lobstersdb(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestMigrateAndSeed(t *testing.T) {
	db := mariadbtest.New(t) // migrated already
	code, out, errOut := lobstersdb(t, "migrate", "-dsn", db.DSN)
	if code != 0 || !strings.Contains(out, "nothing to apply") {
		t.Fatalf("migrate: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	code, out, errOut = lobstersdb(t, "seed", "-dsn", db.DSN, "-scale", "0.01", "-seed", "3")
	if code != 0 || !strings.HasPrefix(out, "seeded 100 users") || !strings.Contains(out, "5000 votes") {
		t.Fatalf("seed: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	var users int
	if err := db.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&users); err != nil || users != 100 {
		t.Fatalf("users after seed: %d, %v", users, err)
	}

	code, _, errOut = lobstersdb(t, "seed", "-dsn", db.DSN, "-users", "10", "-stories", "10", "-comments", "0", "-votes", "0")
	if code != 1 || !strings.Contains(errOut, "-reset") {
		t.Fatalf("seed again: exit %d, stderr %q; want 1 and a hint to -reset", code, errOut)
	}

	code, out, errOut = lobstersdb(t, "seed", "-dsn", db.DSN, "-reset", "-users", "10", "-stories", "10", "-comments", "0", "-votes", "0")
	if code != 0 || !strings.HasPrefix(out, "seeded 10 users") {
		t.Fatalf("seed -reset: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&users); err != nil || users != 10 {
		t.Fatalf("users after seed -reset: %d, %v", users, err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"migrate", "extra"},
		{"seed", "-nope"},
		{"seed", "-scale", "0.5", "-users", "10"},
		{"seed", "-users", "-3"},
		{"seed", "-users", "0"}, // stories need users
	} {
		code, out, errOut := lobstersdb(t, args...)
		if code != 2 || !strings.Contains(errOut, "usage") || out != "" {
			t.Errorf("lobstersdb %q: exit %d, stdout %q, stderr %q; want exit 2 and usage on stderr", args, code, out, errOut)
		}
	}
}

func TestUnreachableDatabaseFails(t *testing.T) {
	code, _, errOut := lobstersdb(t, "migrate", "-dsn", "nobody@unix(/nonexistent.sock)/x")
	if code != 1 || !strings.Contains(errOut, "connect to database") {
		t.Errorf("exit %d, stderr %q; want 1 and the connect error", code, errOut)
	}
}
