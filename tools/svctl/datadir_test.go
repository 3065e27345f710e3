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

// TestGcLeavesRunsInProgressAndOtherClusters: of the run directories, gc
// takes only the orphans: not a live job's, not a run that holds its lock
// (it has not submitted its job yet), not a run that went to another Nomad.
func TestGcLeavesRunsInProgressAndOtherClusters(t *testing.T) {
	const here = "http://127.0.0.1:4646"
	t.Setenv("NOMAD_ADDR", here)
	runs := t.TempDir()
	dir := func(name string) string {
		d := filepath.Join(runs, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		return d
	}
	dir("live")
	going := dir("going")
	unlock, err := lockRun(going)
	if err != nil {
		t.Fatal(err)
	}
	if got := runCluster(going); got != here {
		t.Errorf("the run recorded %q as its cluster", got)
	}
	other := dir("other")
	if err := os.WriteFile(filepath.Join(other, ".nomad"), []byte("http://10.77.0.2:4646"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := dir("done")
	if u, err := lockRun(done); err != nil {
		t.Fatal(err)
	} else {
		u() // a run that ended
	}
	dir("legacy") // from before runs recorded their cluster

	ids, kept, err := orphans(runs, map[string]bool{"live": true}, here)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "done,legacy" || kept != 3 {
		t.Errorf("orphans = %v, kept %d; want done and legacy, 3 kept", ids, kept)
	}
	unlock()
	if ids, _, _ := orphans(runs, map[string]bool{"live": true}, here); strings.Join(ids, ",") != "done,going,legacy" {
		t.Errorf("once the run ended, orphans = %v, want it among them", ids)
	}
}
