package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"microwizard/internal/proclog"
	"microwizard/lobsters/seed"
)

// TestInterruptedRunLeavesNothing: Ctrl-C during a private run that has
// submitted its job (one that never turns healthy: its database is wrong)
// ends svctl within a second with exit status 130, having purged the job
// (and said so), removed its personal route and the run's directory.
func TestInterruptedRunLeavesNothing(t *testing.T) {
	c := newCluster(t, seed.Small)
	cmd := exec.Command(filepath.Join(c.bin, "svctl"), "run", "-private", "--var", "dsn=nobody:x@tcp(127.0.0.1:1)/none",
		"lobsters-popularity", "lobpop_int", "UNCOMMITTED_COPY")
	cmd.Dir, cmd.Env = c.repo, c.env
	var out proclog.Log
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	c.waitFor("svctl to submit its job", 60*time.Second, func() bool { return strings.Contains(out.String(), "submitted job") })
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 130 {
			t.Errorf("an interrupted run: %v, want exit status 130:\n%s", err, out.String())
		}
		if took := time.Since(signalled); took > time.Second {
			t.Errorf("svctl took %s to end after Ctrl-C, cleanup included; want within 1 s", took.Round(time.Millisecond))
		}
	case <-time.After(time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		t.Fatalf("svctl did not end within 1 s of Ctrl-C:\n%s", out.String())
	}
	// A private run's route goes with it, in the cleanup's grace.
	for _, kind := range []string{"service-resolver", "service-router"} {
		if entry := c.run("curl", "-s", "http://"+c.consul.HTTPAddr+"/v1/config/"+kind+"/lobsters-popularity"); strings.Contains(entry, "lobpop_int") {
			t.Errorf("after Ctrl-C the %s still routes lobpop_int:\n%s", kind, entry)
		}
	}
	if !strings.Contains(out.String(), "stopped and purged") {
		t.Errorf("the interrupted run does not say it stopped and purged its job:\n%s", out.String())
	}
	// Purged at once; Nomad stops its allocation itself.
	c.waitFor("the purged job's instance to go", 30*time.Second, func() bool { return len(c.instances()) == 0 })
	if rows := c.instances(); len(rows) != 0 {
		t.Errorf("after Ctrl-C: %+v", rows)
	}
	if entries, err := os.ReadDir(filepath.Join(c.dataDir, "runs")); err != nil {
		t.Errorf("read the runs directory: %v", err)
	} else if len(entries) != 0 {
		t.Errorf("the interrupted run left %v in the data dir", entries)
	}
}
