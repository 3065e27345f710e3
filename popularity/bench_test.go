package popularity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"microwizard/internal/admindsn"
	"microwizard/lobsters/schema"
	"microwizard/lobsters/seed"
)

// benchData is one database seeded with seed.Default, shared by the
// benchmarks (seeding takes several seconds) and dropped by TestMain.
var benchData struct {
	once sync.Once
	db   *sql.DB
	dsn  string
	drop func()
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchData.drop != nil {
		benchData.drop()
	}
	os.Exit(code)
}

// benchDB returns the shared seed.Default database, making it on first use.
func benchDB(b *testing.B) *sql.DB {
	b.Helper()
	benchData.once.Do(func() {
		benchData.db, benchData.dsn, benchData.drop, benchData.err = newSeededDB(seed.Default)
	})
	if benchData.err != nil {
		b.Skip(benchData.err)
	}
	return benchData.db
}

// newSeededDB creates a database on the dbtest server, migrates it, seeds it
// with size, and returns it with its DSN and a function that drops it.
func newSeededDB(size seed.Size) (*sql.DB, string, func(), error) {
	ctx := context.Background()
	admin, err := sql.Open("mysql", admindsn.FromEnv())
	if err != nil {
		return nil, "", nil, fmt.Errorf("admin DSN: %w", err)
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		return nil, "", nil, fmt.Errorf("no MariaDB/MySQL at %q: %w", admindsn.FromEnv(), err)
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	name := "bench_popularity_" + hex.EncodeToString(rnd[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4"); err != nil {
		admin.Close()
		return nil, "", nil, fmt.Errorf("create %s: %w", name, err)
	}
	drop := func() {
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`")
		admin.Close()
	}
	cfg, err := mysql.ParseDSN(admindsn.FromEnv())
	if err != nil {
		drop()
		return nil, "", nil, fmt.Errorf("parse admin DSN: %w", err)
	}
	cfg.DBName, cfg.ParseTime = name, true
	dsn := cfg.FormatDSN()
	db, err := OpenDB(dsn, 8)
	if err == nil {
		_, err = schema.Migrate(ctx, db)
	}
	if err == nil {
		_, err = seed.Seed(ctx, db, size, 1)
	}
	if err == nil {
		// Fresh tables carry the statistics of when they were empty; until
		// InnoDB refreshes them, MariaDB picks full scans of votes and the
		// per-user queries of inefficientQuery take tens of ms each.
		_, err = db.ExecContext(ctx, "ANALYZE TABLE users, stories, comments, votes")
	}
	if err != nil {
		drop()
		return nil, "", nil, fmt.Errorf("prepare %s: %w", name, err)
	}
	return db, dsn, func() { db.Close(); drop() }, nil
}

func BenchmarkEfficientQuery(b *testing.B) {
	d := &database{DB: benchDB(b)}
	defer d.close()
	ctx := context.Background()
	for b.Loop() {
		if _, err := efficientQuery(ctx, d, DefaultLimit); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInefficientQuery(b *testing.B) {
	d := &database{DB: benchDB(b)}
	ctx := context.Background()
	for b.Loop() {
		if _, err := inefficientQuery(ctx, d, DefaultLimit); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetUsers is the whole hot path of a request to /, without the
// network: routing, the query, JSON.
func BenchmarkGetUsers(b *testing.B) {
	s := New(benchDB(b), NewIdentity("lobpop_v1", "bench"))
	defer s.Close()
	h := s.Handler()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("GET /: %d %s", rec.Code, rec.Body)
		}
	}
}

// frontPageSQL is a typical query of the monolith: its front page, the
// hottest stories with their authors. STRAIGHT_JOIN makes MariaDB read the
// hotness index and stop after 25 stories (about 1 ms); with a plain JOIN it
// may scan users, sort into a temporary table and take some 200 ms, which
// would hide what this measures.
const frontPageSQL = `SELECT s.short_id, s.title, s.comments_count, u.username
	FROM stories s STRAIGHT_JOIN users u ON u.id = s.user_id
	ORDER BY s.hotness DESC, s.id DESC LIMIT 25`

// monolithPool opens a pool of its own on the shared database, as the
// monolith has.
func monolithPool(b *testing.B) *sql.DB {
	b.Helper()
	benchDB(b)
	db, err := OpenDB(benchData.dsn, 8)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// loadFrontPage runs frontPageSQL and reads every row.
func loadFrontPage(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, frontPageSQL)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var shortID, title, username string
		var comments int
		if err := rows.Scan(&shortID, &title, &comments, &username); err != nil {
			return err
		}
	}
	return rows.Err()
}

func BenchmarkOtherQueryIdle(b *testing.B) {
	monolith := monolithPool(b)
	ctx := context.Background()
	for b.Loop() {
		if err := loadFrontPage(ctx, monolith); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOtherQueryWhileInefficientRuns is BenchmarkOtherQueryIdle while
// the service runs inefficientQuery back to back, as lobpop_v2 does under
// steady traffic. Compare the two: the slow service should barely slow the
// monolith.
func BenchmarkOtherQueryWhileInefficientRuns(b *testing.B) {
	monolith := monolithPool(b)
	d := &database{DB: benchDB(b)}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for ctx.Err() == nil {
			inefficientQuery(ctx, d, DefaultLimit)
		}
	}()
	defer func() { cancel(); <-stopped }()
	time.Sleep(200 * time.Millisecond) // let it get going

	for b.Loop() {
		if err := loadFrontPage(ctx, monolith); err != nil {
			b.Fatal(err)
		}
	}
	if d.Stats().InUse == 0 {
		b.Fatal("inefficientQuery was not running during the measurement")
	}
}
