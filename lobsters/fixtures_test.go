package lobsters_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"microwizard/internal/testenv/chromiumtest"
	"microwizard/internal/testenv/mariadbtest"
	"microwizard/lobsters"
)

// now is the fixtures' reference time; rows are dated relative to it.
var now = time.Now().UTC().Truncate(time.Second)

// fixtures inserts rows into a test database.
type fixtures struct {
	t  testing.TB
	db *sql.DB
}

// userRow is a users row to insert.
type userRow struct {
	Username string
	Karma    int
	About    string
	Created  time.Time
	Banned   bool
}

// storyRow is a stories row to insert.
type storyRow struct {
	User      int64
	ShortID   string
	Title     string
	URL       string
	Text      string
	Hotness   float64 // higher is hotter, as package seed writes it
	Created   time.Time
	Upvotes   int
	Downvotes int
	Comments  int
}

// commentRow is a comments row to insert.
type commentRow struct {
	Story, User, Parent int64
	Body                string
	Upvotes             int
	Created             time.Time
}

func (f fixtures) exec(query string, args ...any) int64 {
	f.t.Helper()
	res, err := f.db.ExecContext(context.Background(), query, args...)
	if err != nil {
		f.t.Fatalf("fixture %q: %v", query, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		f.t.Fatalf("fixture id: %v", err)
	}
	return id
}

func (f fixtures) user(u userRow) int64 {
	f.t.Helper()
	if u.Created.IsZero() {
		u.Created = now.Add(-400 * 24 * time.Hour)
	}
	var banned any
	if u.Banned {
		banned = now.Add(-24 * time.Hour)
	}
	return f.exec(`INSERT INTO users (username, email, karma, about, created_at, banned_at) VALUES (?, ?, ?, ?, ?, ?)`,
		u.Username, u.Username+"@example.com", u.Karma, nullIfEmpty(u.About), u.Created, banned)
}

func (f fixtures) story(s storyRow) int64 {
	f.t.Helper()
	if s.Created.IsZero() {
		s.Created = now.Add(-time.Hour)
	}
	return f.exec(`INSERT INTO stories (user_id, short_id, title, url, description, upvotes, downvotes,
		comments_count, hotness, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.User, s.ShortID, s.Title, nullIfEmpty(s.URL), nullIfEmpty(s.Text), s.Upvotes, s.Downvotes,
		s.Comments, s.Hotness, s.Created)
}

func (f fixtures) comment(c commentRow) int64 {
	f.t.Helper()
	if c.Created.IsZero() {
		c.Created = now.Add(-30 * time.Minute)
	}
	var parent any
	if c.Parent != 0 {
		parent = c.Parent
	}
	return f.exec(`INSERT INTO comments (story_id, user_id, parent_comment_id, comment, upvotes, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, c.Story, c.User, parent, c.Body, c.Upvotes, c.Created)
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// site is a small Lobsters: a few users, stories and comments.
type site struct {
	alice, bob, troll  int64
	rust, goStory, ask int64
}

// seedSite inserts the site every page test reads.
func seedSite(t testing.TB, db *sql.DB) site {
	t.Helper()
	f := fixtures{t, db}
	var s site
	s.alice = f.user(userRow{Username: "alice", Karma: 42, About: "I write compilers.",
		Created: time.Date(2019, 3, 14, 12, 0, 0, 0, time.UTC)})
	s.bob = f.user(userRow{Username: "bob", Karma: 7})
	s.troll = f.user(userRow{Username: "troll", Karma: -5, Banned: true})
	s.rust = f.story(storyRow{User: s.alice, ShortID: "rust01", Title: "Rust 2.0 released",
		URL: "https://www.rust-lang.org/news/2", Hotness: 20, Created: now.Add(-3 * time.Hour), Upvotes: 12, Comments: 2})
	s.goStory = f.story(storyRow{User: s.bob, ShortID: "go0001", Title: "Go generics in practice",
		URL: "https://go.dev/blog/generics", Hotness: 30, Created: now.Add(-5 * time.Hour), Upvotes: 20, Downvotes: 1})
	s.ask = f.story(storyRow{User: s.troll, ShortID: "ask001", Title: "Ask: is this a troll?",
		Text: "Just asking.", Hotness: 10, Created: now.Add(-10 * time.Minute), Upvotes: 1, Downvotes: 3})
	parent := f.comment(commentRow{Story: s.rust, User: s.bob, Body: "Finally, async traits.", Upvotes: 4})
	f.comment(commentRow{Story: s.rust, User: s.alice, Parent: parent, Body: "And they are fast.", Upvotes: 2,
		Created: now.Add(-20 * time.Minute)})
	return s
}

// testConfig is the monolith's configuration for tests: the popularity
// service at url, everything else default.
func testConfig(url string) lobsters.Config {
	cfg := lobsters.DefaultConfig()
	cfg.PopularityURL = url
	return cfg
}

// startApp runs the monolith on db behind an httptest server.
func startApp(t testing.TB, db *sql.DB, cfg lobsters.Config) *httptest.Server {
	t.Helper()
	app, err := lobsters.New(context.Background(), db, cfg, testLogger(t))
	if err != nil {
		t.Fatalf("lobsters.New: %v", err)
	}
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	return srv
}

// newSite gives a test a database with the small site and the monolith on
// it, /popular pointing at popularityURL.
func newSite(t testing.TB, popularityURL string) (*httptest.Server, site) {
	t.Helper()
	db := mariadbtest.New(t)
	s := seedSite(t, db.DB)
	return startApp(t, db.DB, testConfig(popularityURL)), s
}

// get fetches path from srv and returns the status and body.
func get(t testing.TB, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// visibleText is roughly what a person reads on a page: no head, no tags,
// entities decoded, whitespace collapsed.
func visibleText(page string) string { return chromiumtest.VisibleText(page) }

// inOrder fails the test unless each of want appears in text, in order.
func inOrder(t testing.TB, text string, want ...string) {
	t.Helper()
	rest := text
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			if strings.Contains(text, w) {
				t.Fatalf("%q is out of order; want order %q in:\n%s", w, want, text)
			}
			t.Fatalf("%q not found; want order %q in:\n%s", w, want, text)
		}
		rest = rest[i+len(w):]
	}
}

// testLogger sends the monolith's log to the test log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// serveJSON answers every request with status and body as application/json.
func serveJSON(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}
