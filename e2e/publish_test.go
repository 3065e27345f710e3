package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"microwizard/internal/testenv/s3test"
	"microwizard/lobsters/seed"
)

// TestPublishOnOneMachine tries the cluster path on the local dev agent:
// with a store configured, svctl run -publish says it publishes and why,
// the job fetches the build from the store (a real SeaweedFS on loopback),
// and the instance serves /popular; without -publish but with the store
// configured, it publishes too, and says so.
func TestPublishOnOneMachine(t *testing.T) {
	c := newCluster(t, seed.Small)
	store := s3test.Start(t)
	if err := store.CreateBucket(t.Context(), "svctl"); err != nil {
		t.Fatal(err)
	}
	c.env = append(append(c.env, store.Env()...), "SVCTL_ARTIFACTS=s3://svctl/runs")

	out := c.svctl("run", "-publish", "lobsters-popularity", "lobpop_p1", "UNCOMMITTED_COPY")
	for _, want := range []string{"(-publish)", "==> published lobsters-popularity (s3::" + store.Endpoint + "/svctl/runs/sha256/"} {
		if !strings.Contains(out, want) {
			t.Errorf("svctl run -publish does not say %q:\n%s", want, out)
		}
	}
	rows := c.instances()
	if len(rows) != 1 {
		t.Fatalf("want one instance, got %+v", rows)
	}
	job := c.run("nomad", "job", "inspect", rows[0].JobID)
	if !strings.Contains(job, store.Endpoint+"/svctl/runs/sha256/") || strings.Contains(job, rows[0].SourceDir+"/") && rows[0].SourceDir != "" {
		t.Errorf("the job does not fetch the build from the store:\n%s", job)
	}
	c.waitFor("lobpop_p1 serving /popular", 30*time.Second, func() bool { return c.popular().Version == "lobpop_p1" })

	out = c.svctl("run", "lobsters-popularity", "lobpop_p2", "UNCOMMITTED_COPY")
	if !strings.Contains(out, "(SVCTL_ARTIFACTS is set)") || !strings.Contains(out, "already in the store") {
		t.Errorf("svctl run with a store configured does not say it publishes, or uploaded again:\n%s", out)
	}

	// The data dir is private, the rendered job (it may hold a DSN) too.
	runDir := filepath.Join(c.dataDir, "runs", rows[0].JobID)
	for path, want := range map[string]os.FileMode{c.dataDir: 0o700, runDir: 0o700, filepath.Join(runDir, "job.nomad.hcl"): 0o600} {
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v), want %v", path, info.Mode().Perm(), err, want)
		}
	}

	// svctl stop removes the run directories of what it stopped; svctl gc
	// those of jobs Nomad no longer runs.
	out = c.svctl("stop", "lobpop_p1")
	if _, err := os.Stat(runDir); err == nil || !strings.Contains(out, "removed 1 run directory") {
		t.Errorf("svctl stop left %s:\n%s", runDir, out)
	}
	ghost := filepath.Join(c.dataDir, "runs", "lobsters-popularity-ghost-abcdef")
	if err := os.MkdirAll(filepath.Join(ghost, "bin"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ghost, "bin", "x"), make([]byte, 3<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	out = c.svctl("gc")
	if _, err := os.Stat(ghost); err == nil || !strings.Contains(out, "removed 1 run directory, 3.0 MB freed; 1 kept") {
		t.Errorf("svctl gc:\n%s", out)
	}
}
