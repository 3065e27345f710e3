package popularity

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"microwizard/internal/testenv/mariadbtest"
	"microwizard/internal/tutorial"
	"microwizard/lobsters/seed"
)

// explain returns EXPLAIN's key and Extra columns for query.
func explain(t *testing.T, db *sql.DB, query string, args ...any) (key, extra string) {
	t.Helper()
	rows, err := db.Query("EXPLAIN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN: %v", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatal("EXPLAIN returned no rows")
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Fatal("EXPLAIN returned more than one row: the query is more than one table read")
	}
	for i, c := range cols {
		switch c {
		case "key":
			key = vals[i].String
		case "Extra":
			extra = vals[i].String
		}
	}
	return key, extra
}

// seeded returns a test database with seed.Small data.
func seeded(t *testing.T) *mariadbtest.DB {
	t.Helper()
	db := mariadbtest.New(t)
	if _, err := seed.Seed(context.Background(), db.DB, seed.Small, 1); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return db
}

func TestEfficientQueryReadsTheKarmaIndexWithoutSorting(t *testing.T) {
	db := seeded(t) // on a handful of rows the optimizer rightly prefers a scan
	if _, err := db.Exec("ANALYZE TABLE users"); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, DefaultLimit, MaxLimit} {
		key, extra := explain(t, db.DB, efficientSQL, limit)
		if key != "index_users_on_karma" || strings.Contains(extra, "filesort") {
			t.Errorf("limit %d: EXPLAIN key=%q Extra=%q, want index_users_on_karma and no filesort", limit, key, extra)
		}
	}
}

func TestInefficientQueryGivesTheSameUsers(t *testing.T) {
	ctx := context.Background()
	small := mariadbtest.New(t)
	smallWorld(t, small.DB)
	for name, db := range map[string]*sql.DB{"hand-made": small.DB, "seed.Small": seeded(t).DB} {
		d := &database{DB: db}
		for _, limit := range []int{1, 2, 3, 5, 6, 7, DefaultLimit, 100, MaxLimit} {
			want, err := efficientQuery(ctx, d, limit)
			if err != nil {
				t.Fatalf("%s: efficientQuery(%d): %v", name, limit, err)
			}
			got, err := inefficientQuery(ctx, d, limit)
			if err != nil {
				t.Fatalf("%s: inefficientQuery(%d): %v", name, limit, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, limit %d: inefficientQuery\n got %v\nwant %v", name, limit, got, want)
			}
		}
		d.close()
	}
}

func TestSeededDataHasTiesAndBannedUsers(t *testing.T) {
	// Guards TestInefficientQueryGivesTheSameUsers: it proves little unless
	// the data has karma ties and banned users with karma.
	db := seeded(t)
	var ties, banned int
	if err := db.QueryRow(`SELECT COUNT(*) FROM (SELECT karma FROM users WHERE banned_at IS NULL
		GROUP BY karma HAVING COUNT(*) > 1) t`).Scan(&ties); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM users WHERE banned_at IS NOT NULL AND karma > 0`).Scan(&banned); err != nil {
		t.Fatal(err)
	}
	if ties == 0 || banned == 0 {
		t.Fatalf("seed.Small has %d tied karma values and %d banned users with karma; want some of each", ties, banned)
	}
}

func TestSwappingTheTutorialLinesStillBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package again")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	src, err := os.ReadFile("users.go")
	if err != nil {
		t.Fatal(err)
	}
	swapped, err := tutorial.MakeSlow(string(src))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	abs, err := filepath.Abs("users.go")
	if err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(dir, "users.go")
	overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{abs: edited}})
	if err := os.WriteFile(edited, []byte(swapped), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "overlay.json"), overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goTool, "vet", "-overlay", filepath.Join(dir, "overlay.json"), ".", "./cmd/lobsters-popularity")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("with the lines swapped, go vet fails: %v\n%s", err, out)
	}
}
