package meshlab_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"microwizard/internal/meshlab"
	"microwizard/internal/testenv/mariadbtest"
	"microwizard/lobsters/schema"
	"microwizard/lobsters/seed"
)

// TestMySQLDown (R3): with MySQL stopped, /health turns 503, the instance
// leaves the healthy set, /popular says plainly that the data is unavailable,
// the page that needs no database still answers; all recovers when MySQL
// returns.
func TestMySQLDown(t *testing.T) {
	requireMeshTools(t)
	mysqld := mariadbtest.StartServer(t)
	ctx := context.Background()
	dsn, err := mysqld.CreateDatabase(ctx, "lobsters")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Seed(ctx, db, seed.Small, 1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	root, _ := filepath.Abs("../..")
	lab, err := meshlab.Start(ctx, meshlab.Options{RepoRoot: root, DSN: dsn, Logf: t.Logf})
	if err != nil {
		t.Fatalf("start the lab: %v", err)
	}
	t.Cleanup(func() { lab.Close() })
	inst := addInstances(t, lab, 1, "lobpop_v1", lab.EfficientBinary())[0]
	popular(t, lab)

	t.Log("MySQL stops")
	mysqld.Stop()
	waitFor(t, "the instance critical in Consul", 15*time.Second, func() bool {
		s, err := inst.Health()
		return err == nil && s == "critical"
	})
	// Every load, not only the first: with the instance out of rotation
	// the monolith's sidecar answers for it, and the page must still say
	// the true thing.
	for k := 1; k <= 5; k++ {
		page, err := lab.Get(ctx, client, "/popular")
		if err != nil {
			t.Fatalf("load %d of /popular with MySQL down: %v", k, err)
		}
		if page.NoService || page.Users != 0 || !strings.Contains(page.Problem, "unavailable") {
			t.Fatalf("load %d of /popular with MySQL down shows %v, want a plain 'data unavailable' notice", k, page)
		}
		if k == 1 {
			t.Logf("/popular says: %s", page.Problem)
		}
		time.Sleep(300 * time.Millisecond)
	}
	about, err := lab.Get(ctx, client, "/about")
	if err != nil || about.Status != 200 {
		t.Fatalf("/about with MySQL down: %v %+v", err, about)
	}

	t.Log("MySQL returns")
	mysqld.StartAgain()
	waitFor(t, "the instance passing in Consul", 15*time.Second, func() bool {
		s, err := inst.Health()
		return err == nil && s == "passing"
	})
	waitFor(t, "/popular with users again", 15*time.Second, func() bool {
		p, err := lab.Get(ctx, client, "/popular")
		return err == nil && p.PopularOK()
	})
}

func waitFor(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
