// Package mariadbtest gives tests the real MariaDB of this machine: a fresh,
// migrated database on the shared server (New), dropped when the test ends,
// or a private server of the test's own that it may stop and start again
// (StartServer).
//
// The server is reached with the admin DSN of package admindsn
// (LOBSTERS_TEST_ADMIN_DSN, by default root over the local unix socket). When no
// server answers, tests skip with the reason, except under CI (CI=true), where a
// missing database is a failure: CI installs and starts one.
package mariadbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"microwizard/internal/admindsn"
	"microwizard/internal/testenv"
	"microwizard/lobsters/schema"
)

// DB is a test's own database.
type DB struct {
	*sql.DB
	Name string // database name
	DSN  string // a DSN that reaches it, for programs under test
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// New creates an empty database named after the test, applies the schema and
// registers its removal with t.Cleanup.
func New(tb testing.TB) *DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	admin, err := sql.Open("mysql", admindsn.FromEnv())
	if err != nil {
		tb.Fatalf("mariadbtest: admin DSN: %v", err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		testenv.Missing(tb, fmt.Sprintf("mariadbtest: no MariaDB/MySQL at %q (%v); start one with `just db` or set LOBSTERS_TEST_ADMIN_DSN", admindsn.FromEnv(), err))
	}

	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	base := unsafeChars.ReplaceAllString(strings.ToLower(tb.Name()), "_")
	if len(base) > 40 {
		base = base[:40]
	}
	name := fmt.Sprintf("t_%s_%s", base, hex.EncodeToString(rnd[:]))
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4"); err != nil {
		tb.Fatalf("mariadbtest: create database %s: %v", name, err)
	}

	cfg, err := mysql.ParseDSN(admindsn.FromEnv())
	if err != nil {
		tb.Fatalf("mariadbtest: parse admin DSN: %v", err)
	}
	cfg.DBName = name
	cfg.ParseTime = true
	dsn := cfg.FormatDSN()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		tb.Fatalf("mariadbtest: open %s: %v", name, err)
	}
	tb.Cleanup(func() {
		db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		a, err := sql.Open("mysql", admindsn.FromEnv())
		if err != nil {
			tb.Errorf("mariadbtest: drop %s: %v", name, err)
			return
		}
		defer a.Close()
		if _, err := a.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			tb.Errorf("mariadbtest: drop %s: %v", name, err)
		}
	})
	if _, err := schema.Migrate(ctx, db); err != nil {
		tb.Fatalf("mariadbtest: migrate %s: %v", name, err)
	}
	return &DB{DB: db, Name: name, DSN: dsn}
}
