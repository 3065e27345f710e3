// Package schema holds the Lobsters database schema as numbered SQL migrations and
// applies them to a MariaDB/MySQL database, each at most once.
package schema

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migration is one numbered schema change.
type Migration struct {
	Name string // file name, e.g. "0001_lobsters.sql"
	SQL  string
}

// Migrations returns the embedded migrations in the order they apply.
func Migrations() ([]Migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	for _, n := range names {
		b, err := migrations.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", n, err)
		}
		out = append(out, Migration{Name: strings.TrimPrefix(n, "migrations/"), SQL: string(b)})
	}
	return out, nil
}

// Migrate applies every migration not yet recorded in the schema_migrations table
// and returns the names of those it applied. Applying twice changes nothing.
//
// MariaDB commits DDL implicitly, so a migration cannot be rolled back; every
// statement is written to be safe to run again (IF NOT EXISTS), and the
// migration is recorded only once all its statements succeeded.
func Migrate(ctx context.Context, db *sql.DB) ([]string, error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name VARCHAR(100) NOT NULL PRIMARY KEY,
		applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	all, err := Migrations()
	if err != nil {
		return nil, err
	}
	var applied []string
	for _, m := range all {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = ?`, m.Name).Scan(&n); err != nil {
			return applied, fmt.Errorf("check migration %s: %w", m.Name, err)
		}
		if n > 0 {
			continue
		}
		for i, stmt := range statements(m.SQL) {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				return applied, fmt.Errorf("migration %s, statement %d: %w", m.Name, i+1, err)
			}
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES (?)`, m.Name); err != nil {
			return applied, fmt.Errorf("record migration %s: %w", m.Name, err)
		}
		applied = append(applied, m.Name)
	}
	return applied, nil
}

// statements splits a migration file into its statements: they are separated by
// a semicolon at the end of a line, and "--" comment lines are dropped.
func statements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
