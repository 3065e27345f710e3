// Package seed fills a Lobsters database with deterministic, realistic demo data.
//
// Seed generates users, stories, comments and votes in memory from one random
// seed, derives every count from the rows themselves (a story's votes and
// comments, a user's karma: the votes received on their stories and comments,
// self-votes excluded) and writes them in one transaction. The same size and
// seed always give the same rows, dated against a fixed moment rather than the
// clock.
package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Size is how many rows of each kind to make.
type Size struct {
	Users, Stories, Comments, Votes int
}

var (
	// Default is the size of the demo database.
	Default = Size{Users: 10000, Stories: 50000, Comments: 100000, Votes: 500000}
	// Small is a size for tests: 3% of Default.
	Small = Size{Users: 300, Stories: 1500, Comments: 3000, Votes: 15000}
)

// maxRows bounds each count, keeping ids and memory use sane.
const maxRows = 100_000_000

// Scale returns s with every count multiplied by f, rounded.
func (s Size) Scale(f float64) Size {
	scale := func(n int) int { return int(math.Round(float64(n) * f)) }
	return Size{Users: scale(s.Users), Stories: scale(s.Stories), Comments: scale(s.Comments), Votes: scale(s.Votes)}
}

func (s Size) String() string {
	return fmt.Sprintf("%d users, %d stories, %d comments, %d votes", s.Users, s.Stories, s.Comments, s.Votes)
}

// Validate reports why s cannot be seeded, if it cannot: counts must not be
// negative, stories need users, comments and votes need stories, and votes must
// fit at most one per user and story or comment (Seed takes at most half the
// room, rounded up, so that drawing distinct pairs stays quick).
func (s Size) Validate() error {
	switch {
	case s.Users < 0 || s.Stories < 0 || s.Comments < 0 || s.Votes < 0:
		return fmt.Errorf("invalid size (%v): counts must not be negative", s)
	case s.Users > maxRows || s.Stories > maxRows || s.Comments > maxRows || s.Votes > maxRows:
		return fmt.Errorf("invalid size (%v): counts must be at most %d", s, maxRows)
	case s.Stories > 0 && s.Users == 0:
		return fmt.Errorf("invalid size (%v): stories need at least one user", s)
	case s.Comments > 0 && s.Stories == 0:
		return fmt.Errorf("invalid size (%v): comments need at least one story", s)
	case s.Votes > 0 && s.Stories == 0:
		return fmt.Errorf("invalid size (%v): votes need at least one story", s)
	}
	if room := (int64(s.Users)*int64(s.Stories+s.Comments) + 1) / 2; int64(s.Votes) > room {
		return fmt.Errorf("invalid size (%v): at most %d votes fit that many users, stories and comments", s, room)
	}
	return nil
}

// Stats is what a Seed call wrote.
type Stats struct {
	Users, Stories, Comments, Votes int
	Banned                          int // users with banned_at set
	SelfVotes                       int // votes cast by the author of the story or comment
	Elapsed                         time.Duration
}

// Rows returns the number of rows written.
func (s Stats) Rows() int { return s.Users + s.Stories + s.Comments + s.Votes }

func (s Stats) String() string {
	return fmt.Sprintf("seeded %d users (%d banned), %d stories, %d comments, %d votes (%d self-votes) in %.2fs",
		s.Users, s.Banned, s.Stories, s.Comments, s.Votes, s.SelfVotes, s.Elapsed.Seconds())
}

// ErrNotEmpty is returned by Seed when the database already holds data.
var ErrNotEmpty = errors.New("database already has data")

// Seed fills the empty users, stories, comments and votes tables of db with
// size rows generated from seed, in one transaction: on error nothing is
// written. It refuses a database that has rows in any of them (ErrNotEmpty);
// Reset empties them.
func Seed(ctx context.Context, db *sql.DB, size Size, seed int64) (Stats, error) {
	start := time.Now()
	if err := size.Validate(); err != nil {
		return Stats{}, err
	}
	var d *dataset
	err := inTx(ctx, db, func(tx *sql.Tx) error {
		if err := checkEmpty(ctx, tx); err != nil {
			return err
		}
		d = generate(size, seed)
		return write(ctx, tx, d)
	})
	if err != nil {
		return Stats{}, err
	}
	if err := analyze(ctx, db); err != nil {
		return Stats{}, err
	}
	return stats(d, time.Since(start)), nil
}

// analyze refreshes the tables' statistics. Tables filled in one go keep the
// statistics of their empty state, and MariaDB then plans full scans: the
// popularity service's per-user queries took minutes instead of seconds.
func analyze(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, "ANALYZE TABLE "+strings.Join(tables, ", "))
	if err != nil {
		return fmt.Errorf("analyze tables: %w", err)
	}
	defer rows.Close()
	for rows.Next() { // ANALYZE answers one row per table; read them all
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("analyze tables: %w", err)
	}
	return nil
}

func stats(d *dataset, elapsed time.Duration) Stats {
	s := Stats{
		Users: len(d.users), Stories: len(d.stories), Comments: len(d.comments), Votes: len(d.votes),
		SelfVotes: d.selfVotes, Elapsed: elapsed,
	}
	for _, u := range d.users {
		if u.banned != 0 {
			s.Banned++
		}
	}
	return s
}

// tables are the tables Seed fills, in the order it fills them.
var tables = []string{"users", "stories", "comments", "votes"}

// Reset empties the tables Seed fills, so that it can seed again.
func Reset(ctx context.Context, db *sql.DB) error {
	for _, t := range tables {
		if _, err := db.ExecContext(ctx, "TRUNCATE TABLE "+t); err != nil {
			return fmt.Errorf("reset: truncate %s: %w", t, err)
		}
	}
	return nil
}

// checkEmpty returns ErrNotEmpty, with what it found, unless all the tables
// are empty.
func checkEmpty(ctx context.Context, tx *sql.Tx) error {
	counts := make([]int64, len(tables))
	found := false
	for i, t := range tables {
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&counts[i]); err != nil {
			return fmt.Errorf("check %s is empty: %w", t, err)
		}
		found = found || counts[i] > 0
	}
	if found {
		return fmt.Errorf("%w (%d users, %d stories, %d comments, %d votes): reset it first with seed.Reset (lobstersdb seed -reset)",
			ErrNotEmpty, counts[0], counts[1], counts[2], counts[3])
	}
	return nil
}
