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
