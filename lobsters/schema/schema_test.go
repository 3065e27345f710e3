package schema_test

import (
	"context"
	"testing"

	"microwizard/internal/testenv/mariadbtest"
	"microwizard/lobsters/schema"
)

func TestMigrateTwiceChangesNothing(t *testing.T) {
	db := mariadbtest.New(t) // already migrated once
	ctx := context.Background()
	applied, err := schema.Migrate(ctx, db.DB)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(applied) != 0 {
		t.Fatalf("second migrate applied %v, want nothing", applied)
	}
	all, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(all) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(all))
	}
	for _, table := range []string{"users", "stories", "comments", "votes"} {
		if _, err := db.Exec("SELECT 1 FROM " + table + " LIMIT 1"); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
}

func TestVoteMustBePlusOrMinusOne(t *testing.T) {
	db := mariadbtest.New(t)
	if _, err := db.Exec(`INSERT INTO votes (user_id, story_id, vote) VALUES (1, 1, 2)`); err == nil {
		t.Fatal("a vote of 2 was accepted")
	}
}
