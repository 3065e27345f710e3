package lobsters_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"microwizard/internal/testenv/mariadbtest"
	"microwizard/lobsters"
	"microwizard/lobsters/seed"
	"microwizard/popularity"
)

// seeded gives a test a database filled with seed.Small.
func seeded(t testing.TB) *mariadbtest.DB {
	t.Helper()
	db := mariadbtest.New(t)
	if _, err := seed.Seed(context.Background(), db.DB, seed.Small, 1); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return db
}

// realService runs the popularity service on db as version, in process.
func realService(t testing.TB, db *sql.DB, version string) *httptest.Server {
	t.Helper()
	s := popularity.New(db, popularity.NewIdentity(version, "test-instance-1"))
	s.Logger = testLogger(t)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		s.Close()
	})
	return srv
}

// queryStrings runs a query returning one string column.
func queryStrings(t testing.TB, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPagesOverSeededData(t *testing.T) {
	t.Parallel()
	db := seeded(t)
	srv := startApp(t, db.DB, testConfig("http://127.0.0.1:1/"))

	hottest := queryStrings(t, db.DB, `SELECT title FROM stories ORDER BY hotness DESC, id DESC LIMIT 3`)
	_, body := get(t, srv, "/")
	inOrder(t, visibleText(body), hottest...)

	newest := queryStrings(t, db.DB, `SELECT title FROM stories ORDER BY created_at DESC, id DESC LIMIT 3`)
	_, body = get(t, srv, "/newest")
	inOrder(t, visibleText(body), newest...)

	top := queryStrings(t, db.DB, `SELECT CONCAT(username, ' ', karma) FROM users ORDER BY karma DESC LIMIT 1`)[0]
	name, karma, _ := strings.Cut(top, " ")
	status, body := get(t, srv, "/u/"+name)
	if text := visibleText(body); status != http.StatusOK || !strings.Contains(text, "Karma "+karma) {
		t.Errorf("/u/%s = %d, want karma %s:\n%s", name, status, karma, text)
	}

	banned := queryStrings(t, db.DB, `SELECT username FROM users WHERE banned_at IS NOT NULL LIMIT 1`)
	if len(banned) == 1 {
		_, body = get(t, srv, "/u/"+banned[0])
		if text := visibleText(body); !strings.Contains(text, "Status Banned on") {
			t.Errorf("banned user %s is not shown as banned:\n%s", banned[0], text)
		}
	}

	busy := queryStrings(t, db.DB, `SELECT short_id FROM stories ORDER BY comments_count DESC LIMIT 1`)[0]
	status, body = get(t, srv, "/s/"+busy)
	if status != http.StatusOK || !strings.Contains(body, `<ol class="comments root">`) {
		t.Errorf("/s/%s = %d, want its comments:\n%s", busy, status, visibleText(body))
	}
}

func TestPopularWithTheRealService(t *testing.T) {
	t.Parallel()
	db := seeded(t)
	svc := realService(t, db.DB, "lobpop_v1")
	srv := startApp(t, db.DB, testConfig(svc.URL+"/"))

	status, body := get(t, srv, "/popular")
	text := visibleText(body)
	if status != http.StatusOK {
		t.Fatalf("GET /popular = %d", status)
	}
	want := queryStrings(t, db.DB, fmt.Sprintf(`SELECT CONCAT(username, ' - ', karma) FROM users
		WHERE banned_at IS NULL ORDER BY karma DESC, username ASC LIMIT %d`, popularity.DefaultLimit))
	inOrder(t, text, append([]string{lobsters.PopularHeading, "Service ID: lobpop_v1 · instance test-instance-1 ·"}, want...)...)
	if !querySpeedRE.MatchString(text) {
		t.Errorf("no query speed:\n%s", text)
	}
}

func TestPopularWhenTheRealServiceLostItsDatabase(t *testing.T) {
	t.Parallel()
	gone, err := sql.Open("mysql", "nobody@unix(/nonexistent/mysqld.sock)/lobsters")
	if err != nil {
		t.Fatal(err)
	}
	defer gone.Close()
	svc := realService(t, gone, "lobpop_v1")
	db := mariadbtest.New(t)
	srv := startApp(t, db.DB, testConfig(svc.URL+"/"))

	_, body := get(t, srv, "/popular")
	text := visibleText(body)
	if !strings.Contains(text, "The popularity data is unavailable right now: database unavailable") ||
		strings.Contains(text, "NO SERVICES AVAILABLE") || strings.Contains(text, "nonexistent") {
		t.Errorf("want the service's own error, without internals:\n%s", text)
	}
}
