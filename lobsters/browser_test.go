package lobsters_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"microwizard/internal/testenv/mariadbtest"
	"microwizard/lobsters"
	"microwizard/popularity"
)

// chromiumPath is Debian's Chromium.
const chromiumPath = "/usr/bin/chromium"

// browser drives headless Chromium against loopback URLs only.
type browser struct {
	t   *testing.T
	out string // where screenshots go
	// profile is the --user-data-dir every run shares, so cookies persist
	// from one visit to the next; "" gives each run a fresh one.
	profile string
}

// newBrowser returns a browser, skipping the test when Chromium is missing,
// unless CI is set: CI installs it, so there a missing Chromium fails.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		msg := fmt.Sprintf("browser check needs Chromium at %s: %v (apt-get install chromium)", chromiumPath, err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	out := os.Getenv("LOBSTERS_SCREENSHOT_DIR")
	if out == "" {
		out = filepath.Join(os.TempDir(), "lobsters-screenshots")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatalf("screenshot folder: %v", err)
	}
	return &browser{t: t, out: out}
}

// keepProfile makes every later run of b share one profile, as one person's
// browser does.
func (b *browser) keepProfile() { b.profile = b.t.TempDir() }

// run starts Chromium once, with b's profile or a fresh one, and returns its
// stdout.
func (b *browser) run(url string, args ...string) string {
	b.t.Helper()
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		b.t.Fatalf("browser check only visits loopback, not %s", url)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	profile := b.profile
	if profile == "" {
		profile = b.t.TempDir()
	}
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-extensions", "--disable-default-apps", "--hide-scrollbars",
		"--mute-audio", "--user-data-dir=" + profile, "--window-size=1200,900",
	}
	cmd := exec.CommandContext(ctx, chromiumPath, append(append(base, args...), url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		b.t.Fatalf("chromium %s %s: %v\n%s", strings.Join(args, " "), url, err, stderr.String())
	}
	return stdout.String()
}

// visit loads url as a person would, saves what it looks like as name.png
// (logging the path) and returns the text they would read.
func (b *browser) visit(url, name string) string {
	b.t.Helper()
	return visibleText(b.visitDOM(url, name))
}

// visitDOM is visit returning the page's DOM, as Chromium serialises it.
func (b *browser) visitDOM(url, name string) string {
	b.t.Helper()
	path := filepath.Join(b.out, name+".png")
	_ = os.Remove(path)
	dom := b.run(url, "--dump-dom", "--screenshot="+path)
	info, err := os.Stat(path)
	if err != nil || info.Size() == 0 {
		b.t.Fatalf("no screenshot of %s at %s: %v", url, path, err)
	}
	b.t.Logf("screenshot of %s: %s", url, path)
	return dom
}

func TestBrowserShowsPopularUsers(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	db := seeded(t)
	svc := realService(t, db.DB, "lobpop_v1")
	srv := startApp(t, db.DB, testConfig(svc.URL+"/"))

	want := queryStrings(t, db.DB, fmt.Sprintf(`SELECT CONCAT(username, ' - ', karma) FROM users
		WHERE banned_at IS NULL ORDER BY karma DESC, username ASC LIMIT %d`, popularity.DefaultLimit))
	text := b.visit(srv.URL+"/popular", "popular-service")
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
	b := newBrowser(t)
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
			inOrder(t, (&browser{t: t, out: b.out}).visit(srv.URL+page.path, page.name), page.want...)
		})
	}
}

func TestBrowserShowsNoServicesAvailable(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	db := mariadbtest.New(t)
	srv := startApp(t, db.DB, testConfig("http://"+addr+"/"))

	text := b.visit(srv.URL+"/popular", "popular-none")
	inOrder(t, text, lobsters.PopularHeading, "Service ID: NO SERVICES AVAILABLE", "Query Speed:")
	if strings.Contains(text, " - ") {
		t.Errorf("users are listed although no service answers:\n%s", text)
	}
}

func TestBrowserShowsTheServicesOwnError(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	svc := httptest.NewServer(serveJSON(http.StatusServiceUnavailable, `{"error":"database unavailable: dial unix /run/mysqld/mysqld.sock: connect: connection refused"}`))
	defer svc.Close()
	db := mariadbtest.New(t)
	srv := startApp(t, db.DB, testConfig(svc.URL+"/"))

	text := b.visit(srv.URL+"/popular", "popular-service-error")
	inOrder(t, text, lobsters.PopularHeading, "Service ID: unknown", "Query Speed:",
		"The popularity data is unavailable right now: database unavailable")
	if strings.Contains(text, lobsters.NoServicesAvailable) {
		t.Errorf("an instance answered, yet the page says %s", lobsters.NoServicesAvailable)
	}
}

// A person chooses a personal version in the browser, sees it answer, keeps
// it from page to page through the cookie, and clears it.
func TestBrowserChoosesAPersonalVersion(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	b.keepProfile()
	mesh := newMeshStandIn(t, "lobpop_v2")
	srv, _ := newSite(t, mesh.URL+"/")

	dom := b.visitDOM(srv.URL+"/popular?svctl-version=lobpop_v2", "personal-chosen")
	inOrder(t, visibleText(dom), "viewing lobpop_v2 · clear", lobsters.PopularHeading,
		"Service ID: lobpop_v2 · instance lobpop_v2-instance-1", "carol - 50")

	dom = b.visitDOM(srv.URL+"/popular", "personal-kept")
	inOrder(t, visibleText(dom), "viewing lobpop_v2 · clear", lobsters.PopularHeading,
		"Service ID: lobpop_v2 · instance lobpop_v2-instance-1")

	text := b.visit(srv.URL+clearLink(t, dom), "personal-cleared")
	inOrder(t, text, lobsters.PopularHeading, "Service ID: "+sharedVersion+" · instance "+sharedVersion+"-instance-1")
	if strings.Contains(text, "viewing") || strings.Contains(text, "lobpop_v2") {
		t.Errorf("after clear the page still shows lobpop_v2:\n%s", text)
	}
	text = b.visit(srv.URL+"/popular", "personal-after-clear")
	if strings.Contains(text, "viewing") || !strings.Contains(text, "Service ID: "+sharedVersion) {
		t.Errorf("the choice came back after clear:\n%s", text)
	}

	// A version with no instance: the shared version answers, and the page
	// says so.
	text = b.visit(srv.URL+"/popular?svctl-version=lobpop_v9", "personal-fallback")
	inOrder(t, text, "viewing lobpop_v9 · clear", lobsters.PopularHeading, "Service ID: "+sharedVersion,
		"lobpop_v9 has no healthy instance: a shared version answered.", "carol - 50")
}
