package lobsters_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"microwizard/internal/testenv/chromiumtest"
	"microwizard/internal/testenv/mariadbtest"
	"microwizard/lobsters"
	"microwizard/popularity"
)

func TestBrowserShowsPopularUsers(t *testing.T) {
	t.Parallel()
	b := chromiumtest.New(t)
	db := seeded(t)
	svc := realService(t, db.DB, "lobpop_v1")
	srv := startApp(t, db.DB, testConfig(svc.URL+"/"))

	want := queryStrings(t, db.DB, fmt.Sprintf(`SELECT CONCAT(username, ' - ', karma) FROM users
		WHERE banned_at IS NULL ORDER BY karma DESC, username ASC LIMIT %d`, popularity.DefaultLimit))
	text := b.Visit(srv.URL+"/popular", "popular-service")
	inOrder(t, text, "Lobsters", "Home", "Newest", "Most Popular Users", lobsters.PopularHeading,
		"Service ID: lobpop_v1 · instance test-instance-1 ·", "Query Speed:")
	inOrder(t, text, want...)
	if strings.Contains(text, lobsters.NoServicesAvailable) {
		t.Errorf("the page says %s although the service answers", lobsters.NoServicesAvailable)
	}
}

// The other pages, as a person sees them.
func TestBrowserShowsTheSite(t *testing.T) {
	t.Parallel()
	chromiumtest.New(t) // skips here without Chromium
	db := seeded(t)
	srv := startApp(t, db.DB, testConfig("http://127.0.0.1:1/"))

	hottest := queryStrings(t, db.DB, `SELECT title FROM stories ORDER BY hotness DESC, id DESC LIMIT 5`)
	top := queryStrings(t, db.DB, `SELECT CONCAT(username, ' ', karma) FROM users ORDER BY karma DESC LIMIT 1`)[0]
	name, karma, _ := strings.Cut(top, " ")
	busy := queryStrings(t, db.DB, `SELECT CONCAT(short_id, ' ', title) FROM stories ORDER BY comments_count DESC, id LIMIT 1`)[0]
	short, title, _ := strings.Cut(busy, " ")

	for _, page := range []struct {
		name, path string
		want       []string
	}{
		{"front-page", "/", hottest},
		{"profile", "/u/" + name, []string{name, "Karma " + karma, "Recent stories"}},
		{"story", "/s/" + short, []string{title, "comments"}},
	} {
		t.Run(page.name, func(t *testing.T) {
			t.Parallel()
			inOrder(t, chromiumtest.New(t).Visit(srv.URL+page.path, page.name), page.want...)
		})
	}
}

func TestBrowserShowsNoServicesAvailable(t *testing.T) {
	t.Parallel()
	b := chromiumtest.New(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	db := mariadbtest.New(t)
	srv := startApp(t, db.DB, testConfig("http://"+addr+"/"))

	text := b.Visit(srv.URL+"/popular", "popular-none")
	inOrder(t, text, lobsters.PopularHeading, "Service ID: NO SERVICES AVAILABLE", "Query Speed:")
	if strings.Contains(text, " - ") {
		t.Errorf("users are listed although no service answers:\n%s", text)
	}
}

func TestBrowserShowsTheServicesOwnError(t *testing.T) {
	t.Parallel()
	b := chromiumtest.New(t)
	svc := httptest.NewServer(serveJSON(http.StatusServiceUnavailable, `{"error":"database unavailable: dial unix /run/mysqld/mysqld.sock: connect: connection refused"}`))
	defer svc.Close()
	db := mariadbtest.New(t)
	srv := startApp(t, db.DB, testConfig(svc.URL+"/"))

	text := b.Visit(srv.URL+"/popular", "popular-service-error")
	inOrder(t, text, lobsters.PopularHeading, "Service ID: unknown", "Query Speed:",
		"The popularity data is unavailable right now: database unavailable")
	if strings.Contains(text, lobsters.NoServicesAvailable) {
		t.Errorf("an instance answered, yet the page says %s", lobsters.NoServicesAvailable)
	}
}

// TestBrowserConfirmsAPersonalVersion: in a real browser a link with
// ?svctl-version=NAME shows the confirmation page (the version, its owner,
// its form) and chooses nothing by itself; a name that is not a live
// private version offers nothing. (Posting the form, the cookie and the
// banner are TestChoosingAVersionInTheBrowser's.)
func TestBrowserConfirmsAPersonalVersion(t *testing.T) {
	t.Parallel()
	b := chromiumtest.New(t)
	b.KeepProfile()
	mesh := newMeshStandIn(t, "lobpop_v2")
	srv, _ := newPersonalSite(t, mesh.URL+"/", "lobpop_v2")

	dom := b.VisitDOM(srv.URL+"/popular?svctl-version=lobpop_v2", "personal-confirm")
	inOrder(t, visibleText(dom), "Choose the personal version lobpop_v2?", "dev@example.com", "Choose lobpop_v2")
	if !strings.Contains(dom, `<form method="post" action="/svctl-version"`) {
		t.Errorf("the confirmation page has no form:\n%s", dom)
	}
	text := b.Visit(srv.URL+"/popular", "personal-not-chosen")
	inOrder(t, text, lobsters.PopularHeading, "Service ID: "+sharedVersion+" · instance "+sharedVersion+"-instance-1")
	if strings.Contains(text, "viewing") {
		t.Errorf("following the link alone chose a version:\n%s", text)
	}

	text = b.Visit(srv.URL+"/popular?svctl-version=lobpop_v9", "personal-not-live")
	if !strings.Contains(text, "lobpop_v9 is not a live private version") || strings.Contains(text, "Choose lobpop_v9") {
		t.Errorf("a name that is not live: want no choice offered:\n%s", text)
	}
}
