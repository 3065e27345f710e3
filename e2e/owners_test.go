package e2e

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"microwizard/lobsters/seed"
)

// TestOwnersKeepTheirNames: two developers on one cluster. Each run records
// its owner; the other's run, private run, demote and stop of that
// SERVICE/NAME are refused naming the owner (exit 2) and change nothing;
// the same NAME in another service is the other's to use; a NAME of two
// services is stopped as SERVICE/NAME; stop -force stops another's version
// and records who did.
func TestOwnersKeepTheirNames(t *testing.T) {
	c := newCluster(t, seed.Small)
	// Both packs in one folder, as a team's repository with two services has them.
	packs := t.TempDir()
	c.run("cp", "-r", filepath.Join(c.repo, "packs", "lobsters-popularity"), filepath.Join(c.repo, "e2e", "testdata", "packs", "greeter"), packs)
	as := func(owner string) *shell { return c.with("SVCTL_PACKS="+packs, "SVCTL_OWNER="+owner) }
	ann, bob := as("ann@example.com"), as("bob@example.com")
	svctl := filepath.Join(c.bin, "svctl")

	ann.run(svctl, "run", "--var", "dsn="+c.dsn, "lobsters-popularity", "team_v1", "UNCOMMITTED_COPY")
	rows := ann.instances()
	if len(rows) != 1 || rows[0].Owner != "ann@example.com" {
		t.Fatalf("ps -json after ann's run: %+v, want one instance owned by ann@example.com", rows)
	}
	if table := ann.stdout("ps"); !strings.Contains(table, "OWNER") || !strings.Contains(table, "ann@example.com") {
		t.Errorf("ps shows no owner:\n%s", table)
	}

	t.Log("svctl mesh shows what it would change, and without a terminal or -yes changes nothing")
	out, err := bob.try(svctl, "mesh", "resilient")
	if exitCode(err) != 2 || !strings.Contains(out, "==> write service-resolver/lobsters-popularity") || !strings.Contains(out, "least_request") || !strings.Contains(out, "-yes") {
		t.Errorf("svctl mesh resilient without -yes: exit %d, want 2 after the diff, asking for -yes:\n%s", exitCode(err), out)
	}
	if p := bob.stdout("mesh"); !strings.Contains(p, "mesh profile: tutorial") {
		t.Errorf("after the unconfirmed switch: %s, want tutorial still", p)
	}

	t.Log("bob may not change ann's version")
	for _, args := range [][]string{
		{"run", "--var", "dsn=" + c.dsn, "lobsters-popularity", "team_v1", "UNCOMMITTED_COPY"},
		{"run", "--private", "--var", "dsn=" + c.dsn, "lobsters-popularity", "team_v1", "UNCOMMITTED_COPY"},
		{"demote", "team_v1"},
		{"stop", "team_v1"},
		{"stop", "-one", "lobsters-popularity/team_v1"},
	} {
		out, err := bob.try(svctl, args...)
		if code := exitCode(err); code != 2 || !strings.Contains(out, "ann@example.com") {
			t.Errorf("bob: svctl %s: exit %d, want 2 naming ann@example.com:\n%s", strings.Join(args, " "), code, out)
		}
	}
	if rows := ann.instances(); len(rows) != 1 || rows[0].Owner != "ann@example.com" || rows[0].Mode != "shared" || rows[0].AllocID != ann.instances()[0].AllocID {
		t.Fatalf("after bob's refused commands: %+v, want ann's one shared instance as it was", rows)
	}
	if mine := bob.stdout("ps", "-json", "-mine"); !strings.Contains(mine, `"instances": []`) {
		t.Errorf("bob's ps -mine lists ann's instance:\n%s", mine)
	}

	t.Log("the same NAME in another service is bob's to use")
	bob.run(svctl, "run", "greeter", "team_v1", "UNCOMMITTED_COPY")
	if out, err := ann.try(svctl, "stop", "team_v1"); exitCode(err) != 2 || !strings.Contains(out, "lobsters-popularity/team_v1") && !strings.Contains(out, "SERVICE/team_v1") {
		t.Errorf("stop of a NAME of two services: exit %d, want 2 asking for SERVICE/NAME:\n%s", exitCode(err), out)
	}
	if n := len(ann.instances()); n != 2 {
		t.Fatalf("after the refused stop: %d instances, want both", n)
	}

	t.Log("stop -force: bob cleans up ann's version, and it is recorded")
	out = bob.run(svctl, "stop", "-force", "lobsters-popularity/team_v1")
	if !strings.Contains(out, "recorded in Consul at svctl/forced/default/lobsters-popularity/team_v1/") {
		t.Errorf("stop -force did not say where it recorded the forced stop:\n%s", out)
	}
	record := c.run("consul", "kv", "get", "-recurse", "svctl/forced/default/lobsters-popularity/team_v1/")
	for _, want := range []string{`"owner":"ann@example.com"`, `"stopped_by":"bob@example.com"`} {
		if !strings.Contains(record, want) {
			t.Errorf("the forced stop's record has no %s:\n%s", want, record)
		}
	}
	rows = bob.instances()
	if len(rows) != 1 || rows[0].Service != "greeter" || rows[0].Owner != "bob@example.com" {
		t.Fatalf("after the forced stop: %+v, want only bob's greeter", rows)
	}
	bob.run(svctl, "stop", "team_v1")

	t.Log("an owner with a control character is refused before anything happens")
	bad := as("eve\x1b[2J@example.com")
	if out, err := bad.try(svctl, "run", "greeter", "eve_v1", "UNCOMMITTED_COPY"); exitCode(err) != 2 || !strings.Contains(out, "SVCTL_OWNER") {
		t.Errorf("SVCTL_OWNER with an escape: exit %d, want 2 naming SVCTL_OWNER:\n%s", exitCode(err), out)
	}
	if rows := ann.instances(); len(rows) != 0 {
		t.Errorf("instances left: %+v", rows)
	}
}

// exitCode is a command's exit status: 0 for none, -1 if it did not run.
func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -1
}
