package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoHomeIsRefused: with HOME, SVCTL_DATA and XDG_DATA_HOME unset svctl
// refuses (exit 2) instead of falling back to a shared directory under /tmp.
func TestNoHomeIsRefused(t *testing.T) {
	t.Setenv("SVCTL_DATA", "")
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "")
	before, _ := os.ReadDir(os.TempDir())
	code, out := svctl(t, "run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	if code != 2 || !strings.Contains(out, "HOME is not set, nor SVCTL_DATA") {
		t.Fatalf("exit %d, want 2 naming HOME and SVCTL_DATA:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(os.TempDir(), "svctl")); err == nil {
		after, _ := os.ReadDir(os.TempDir())
		if len(after) > len(before) {
			t.Fatalf("svctl made %s", filepath.Join(os.TempDir(), "svctl"))
		}
	}
}

// TestDataDirIsPrivate: the data dir is created 0700, and one that others
// may write is refused.
func TestDataDirIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil { // made by an earlier svctl, readable by all
		t.Fatal(err)
	}
	if err := ensureDataDir(dir); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %v (%v), want 0700", info.Mode().Perm(), err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := ensureDataDir(dir); err == nil || !strings.Contains(err.Error(), "may be written by others") {
		t.Fatalf("a world-writable data dir: %v, want a refusal", err)
	}
}

// TestGcLeavesRunsInProgressAndOtherClusters: a run that holds its lock (it
// has not submitted its job yet), and a run that went to another Nomad, are
// not the orphans gc removes.
func TestGcLeavesRunsInProgressAndOtherClusters(t *testing.T) {
	t.Setenv("NOMAD_ADDR", "http://127.0.0.1:4646")
	going := t.TempDir()
	unlock, err := lockRun(going)
	if err != nil {
		t.Fatal(err)
	}
	if !inProgress(going) {
		t.Error("a locked run is not seen in progress")
	}
	unlock()
	if inProgress(going) {
		t.Error("a finished run is still seen in progress")
	}
	if got := runCluster(going); got != "http://127.0.0.1:4646" {
		t.Errorf("the run recorded %q as its cluster", got)
	}
}
