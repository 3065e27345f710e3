package lobsters_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"microwizard/internal/proclog"
	"microwizard/internal/testenv/mariadbtest"
	"microwizard/lobsters"
)

func TestHomeListsStoriesByHotness(t *testing.T) {
	t.Parallel()
	srv, _ := newSite(t, "http://127.0.0.1:1/")
	status, body := get(t, srv, "/")
	if status != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", status)
	}
	text := visibleText(body)
	// Hottest first.
	inOrder(t, text, "Go generics in practice", "Rust 2.0 released", "Ask: is this a troll?")
	inOrder(t, text, "Home", "Newest", "Most Popular Users")
	for _, want := range []string{
		"Rust 2.0 released rust-lang.org by alice 3 hours ago | 2 comments",
		"19 Go generics in practice go.dev by bob 5 hours ago | 0 comments",
		"by troll banned 10 minutes ago", // banned users are shown as such
	} {
		if !strings.Contains(text, want) {
			t.Errorf("front page lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(body, `href="https://www.rust-lang.org/news/2"`) || !strings.Contains(body, `href="/s/rust01"`) {
		t.Errorf("front page lacks the story's link and its comments link:\n%s", body)
	}
	if !strings.Contains(body, `<link rel="stylesheet" href="/assets/style.css">`) {
		t.Errorf("front page lacks the stylesheet")
	}
}

func TestNewestListsLatestFirst(t *testing.T) {
	t.Parallel()
	srv, _ := newSite(t, "http://127.0.0.1:1/")
	status, body := get(t, srv, "/newest")
	if status != http.StatusOK {
		t.Fatalf("GET /newest = %d, want 200", status)
	}
	text := visibleText(body)
	inOrder(t, text, "Newest Stories", "Ask: is this a troll?", "Rust 2.0 released", "Go generics in practice")
}

func TestListingsArePaged(t *testing.T) {
	t.Parallel()
	db := mariadbtest.New(t)
	f := fixtures{t, db.DB}
	u := f.user(userRow{Username: "prolific"})
	total := lobsters.PerPage + 5
	for i := range total {
		f.story(storyRow{User: u, ShortID: fmt.Sprintf("p%05d", i), Title: fmt.Sprintf("Story number %02d", i),
			Hotness: float64(total - i), Created: now.Add(-time.Duration(i) * time.Minute)})
	}
	srv := startApp(t, db.DB, testConfig("http://127.0.0.1:1/"))

	for _, path := range []string{"/", "/newest"} {
		_, first := get(t, srv, path)
		text := visibleText(first)
		if !strings.Contains(text, "Story number 00") || strings.Contains(text, fmt.Sprintf("Story number %02d", lobsters.PerPage)) {
			t.Errorf("%s page 1 should hold stories 0..%d only:\n%s", path, lobsters.PerPage-1, text)
		}
		if !strings.Contains(text, "Page 2 >>") {
			t.Errorf("%s page 1 lacks a link to page 2:\n%s", path, text)
		}
		status, second := get(t, srv, path+"?page=2")
		text = visibleText(second)
		if status != http.StatusOK || !strings.Contains(text, fmt.Sprintf("Story number %02d", total-1)) || strings.Contains(text, "Story number 00") {
			t.Errorf("%s?page=2 = %d, want the last %d stories:\n%s", path, status, total-lobsters.PerPage, text)
		}
		if !strings.Contains(text, "<< Page 1") || strings.Contains(text, "Page 3") {
			t.Errorf("%s page 2 should link back to page 1 only:\n%s", path, text)
		}
	}
	if status, body := get(t, srv, "/?page=banana"); status != http.StatusNotFound || !strings.Contains(visibleText(body), `There is no page "banana"`) {
		t.Errorf("/?page=banana = %d, want 404 saying there is no such page:\n%s", status, visibleText(body))
	}
}

func TestStoryPageThreadsComments(t *testing.T) {
	t.Parallel()
	srv, _ := newSite(t, "http://127.0.0.1:1/")
	status, body := get(t, srv, "/s/rust01")
	if status != http.StatusOK {
		t.Fatalf("GET /s/rust01 = %d, want 200", status)
	}
	text := visibleText(body)
	inOrder(t, text, "Rust 2.0 released", "2 comments",
		"bob 30 minutes ago", "Finally, async traits.",
		"alice 20 minutes ago", "And they are fast.")
	// The reply sits in a nested list inside its parent.
	parent := strings.Index(body, "Finally, async traits.")
	nested := strings.Index(body[parent:], `<ol class="comments">`)
	reply := strings.Index(body[parent:], "And they are fast.")
	if nested < 0 || reply < nested {
		t.Errorf("the reply is not nested under its parent:\n%s", body)
	}
	if status, _ := get(t, srv, "/s/rust01/rust_2_0_released"); status != http.StatusOK {
		t.Errorf("GET /s/rust01/slug = %d, want 200", status)
	}

	_, body = get(t, srv, "/s/ask001")
	if text := visibleText(body); !strings.Contains(text, "Just asking.") || !strings.Contains(text, "No comments yet.") {
		t.Errorf("text story page lacks its text or the empty comments note:\n%s", text)
	}
}

func TestStoryNotFound(t *testing.T) {
	t.Parallel()
	srv, _ := newSite(t, "http://127.0.0.1:1/")
	status, body := get(t, srv, "/s/nope99")
	if status != http.StatusNotFound {
		t.Fatalf("GET /s/nope99 = %d, want 404", status)
	}
	text := visibleText(body)
	if !strings.Contains(text, "Not found") || !strings.Contains(text, `There is no story "nope99"`) || !strings.Contains(text, "Most Popular Users") {
		t.Errorf("404 page is not the site's friendly page:\n%s", text)
	}
}

func TestProfileShowsKarmaAndStories(t *testing.T) {
	t.Parallel()
	srv, _ := newSite(t, "http://127.0.0.1:1/")
	status, body := get(t, srv, "/u/alice")
	if status != http.StatusOK {
		t.Fatalf("GET /u/alice = %d, want 200", status)
	}
	text := visibleText(body)
	for _, want := range []string{
		"Status Active user",
		"Member since 2019-03-14",
		"Karma 42",
		"Stories submitted 1",
		"Comments posted 1",
		"About I write compilers.",
		"Recent stories 12 Rust 2.0 released",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("alice's profile lacks %q:\n%s", want, text)
		}
	}

	_, body = get(t, srv, "/u/troll")
	text = visibleText(body)
	if !strings.Contains(text, "troll banned") || !strings.Contains(text, "Status Banned on") || !strings.Contains(text, "Karma -5") {
		t.Errorf("a banned user's profile does not say so:\n%s", text)
	}

	_, body = get(t, srv, "/u/bob")
	// The nav has an About link; the profile itself must have no About section.
	if text := visibleText(body); !strings.Contains(text, "Karma 7") || strings.Contains(text[strings.Index(text, "bob"):], "About") {
		t.Errorf("bob's profile: want karma 7 and no About:\n%s", text)
	}
}

func TestUnknownUserIs404(t *testing.T) {
	t.Parallel()
	srv, _ := newSite(t, "http://127.0.0.1:1/")
	status, body := get(t, srv, "/u/nobody")
	if status != http.StatusNotFound {
		t.Fatalf("GET /u/nobody = %d, want 404", status)
	}
	if text := visibleText(body); !strings.Contains(text, `There is no user called "nobody"`) {
		t.Errorf("404 page does not say who is missing:\n%s", text)
	}
	if status, _ := get(t, srv, "/no/such/page"); status != http.StatusNotFound {
		t.Errorf("GET /no/such/page = %d, want 404", status)
	}
}

func TestStylesheetIsServed(t *testing.T) {
	t.Parallel()
	srv, _ := newSite(t, "http://127.0.0.1:1/")
	resp, err := srv.Client().Get(srv.URL + "/assets/style.css")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("GET /assets/style.css = %d %s, want 200 text/css", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestHealthChecksTheDatabase(t *testing.T) {
	t.Parallel()
	srv, _ := newSite(t, "http://127.0.0.1:1/")
	if status, body := get(t, srv, "/health"); status != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /health = %d %q, want 200 ok", status, body)
	}
}

// A database failure shows the reader a friendly page and logs the details
// once.
func TestDatabaseFailureShowsFriendlyPageAndLogsOnce(t *testing.T) {
	t.Parallel()
	db := mariadbtest.New(t)
	seedSite(t, db.DB)
	var logs proclog.Log
	app, err := lobsters.New(context.Background(), db.DB, testConfig("http://127.0.0.1:1/"), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if _, err := db.ExecContext(context.Background(), "DROP TABLE comments"); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	app.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/s/rust01", nil))
	text := visibleText(rec.Body.String())
	if rec.Code != http.StatusInternalServerError || !strings.Contains(text, "Internal error") || !strings.Contains(text, "please try again") {
		t.Errorf("story page with its table gone = %d, want 500 with a friendly message:\n%s", rec.Code, text)
	}
	if strings.Contains(text, "comments' doesn't exist") || strings.Contains(text, "Error 1146") {
		t.Errorf("the page leaks the database error:\n%s", text)
	}
	if n := strings.Count(logs.String(), "page failed"); n != 1 || !strings.Contains(logs.String(), "comments") {
		t.Errorf("want the failure logged once with its details, got %d lines:\n%s", n, logs.String())
	}
}

// The about page answers with the database gone and no service reachable.
func TestAboutNeedsNoDatabase(t *testing.T) {
	t.Parallel()
	db := mariadbtest.New(t)
	app, err := lobsters.New(context.Background(), db.DB, testConfig("http://127.0.0.1:1/"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	db.DB.Close()
	rec := httptest.NewRecorder()
	app.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/about", nil))
	if text := visibleText(rec.Body.String()); rec.Code != http.StatusOK || !strings.Contains(text, "needs neither the database nor the service") {
		t.Errorf("GET /about with the database closed = %d:\n%s", rec.Code, text)
	}
}

// Names and ids no row can have are a plain 404, with nothing logged as an
// error: /u/ with non-ASCII or percent-encoded bytes used to answer 500
// ("Illegal mix of collations") and fill the error log, and /u/alice%20
// showed alice (the column's collation ignores trailing spaces).
func TestImpossibleNamesAreNotFound(t *testing.T) {
	t.Parallel()
	db := mariadbtest.New(t)
	seedSite(t, db.DB)
	var logs proclog.Log
	app, err := lobsters.New(context.Background(), db.DB, testConfig("http://127.0.0.1:1/"), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	for _, path := range []string{"/u/%C3%A9t%C3%A9", "/u/%F0%9F%98%80", "/u/alice%20", "/u/al%00ice", "/s/%E2%80%AEx", "/s/rust01%20", "/s/" + strings.Repeat("a", 300)} {
		rec := httptest.NewRecorder()
		app.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, rec.Code)
		}
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("impossible names were logged as errors:\n%s", logs.String())
	}
}
