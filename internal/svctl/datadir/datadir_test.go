package datadir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataDirIsPrivate: the data dir is created 0700, and one that others
// may write is refused.
func TestDataDirIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil { // made by an earlier svctl, readable by all
		t.Fatal(err)
	}
	if err := Dir(dir).Ensure(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %v (%v), want 0700", info.Mode().Perm(), err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := Dir(dir).Ensure(); err == nil || !strings.Contains(err.Error(), "may be written by others") {
		t.Fatalf("a world-writable data dir: %v, want a refusal", err)
	}
}

// TestGcLeavesRunsInProgressAndOtherClusters: of the run directories, gc
// takes only the orphans: not a live job's, not a run that holds its lock
// (it has not submitted its job yet), not a run that went to another Nomad.
func TestGcLeavesRunsInProgressAndOtherClusters(t *testing.T) {
	const here = "http://127.0.0.1:4646"
	data := Dir(t.TempDir())
	dir := func(name string) Run {
		r := data.Run(name)
		if err := os.MkdirAll(r.Path(), 0o700); err != nil {
			t.Fatal(err)
		}
		return r
	}
	dir("live")
	unlock, err := data.Run("going").Create(here)
	if err != nil {
		t.Fatal(err)
	}
	if got := data.Run("going").cluster(); got != here {
		t.Errorf("the run recorded %q as its cluster", got)
	}
	other := dir("other")
	if err := os.WriteFile(filepath.Join(other.Path(), ".nomad"), []byte("http://10.77.0.2:4646"), 0o600); err != nil {
		t.Fatal(err)
	}
	if u, err := data.Run("done").Create(here); err != nil {
		t.Fatal(err)
	} else {
		u() // a run that ended
	}
	dir("legacy") // from before runs recorded their cluster

	ids, kept, err := data.Orphans(map[string]bool{"live": true}, here)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "done,legacy" || kept != 3 {
		t.Errorf("orphans = %v, kept %d; want done and legacy, 3 kept", ids, kept)
	}
	unlock()
	if ids, _, _ := data.Orphans(map[string]bool{"live": true}, here); strings.Join(ids, ",") != "done,going,legacy" {
		t.Errorf("once the run ended, orphans = %v, want it among them", ids)
	}
}

// TestRemoveRunsTakesOnlyPlainNames: an ID that is a path is not followed
// out of the runs folder.
func TestRemoveRunsTakesOnlyPlainNames(t *testing.T) {
	data := Dir(t.TempDir())
	if err := os.MkdirAll(data.Run("a").Src(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data.Run("a").Src(), "f"), []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(string(data), "keep")
	if err := os.Mkdir(outside, 0o700); err != nil {
		t.Fatal(err)
	}
	n, freed, err := data.RemoveRuns([]string{"a", "../keep", "missing"})
	if err != nil || n != 1 || freed != 5 {
		t.Errorf("RemoveRuns = %d, %d, %v; want 1 removed, 5 bytes", n, freed, err)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("RemoveRuns followed ../keep: %v", err)
	}
}
