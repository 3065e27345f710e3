// Package chromiumtest drives Debian's headless Chromium for browser checks:
// it loads loopback pages as a person would, saves a screenshot of each and
// returns what the page shows.
package chromiumtest

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"microwizard/internal/testenv"
)

// Path is Debian's Chromium.
const Path = "/usr/bin/chromium"

// Browser drives headless Chromium against loopback URLs only.
type Browser struct {
	t   testing.TB
	out string // where screenshots go
	// profile is the --user-data-dir every run shares, so cookies persist
	// from one visit to the next; "" gives each run a fresh one.
	profile string
}

// New returns a browser, skipping the test when Chromium is missing, unless
// CI is set: CI installs it, so there a missing Chromium fails. Screenshots
// go to $LOBSTERS_SCREENSHOT_DIR, else a folder of the system's temp dir.
func New(t testing.TB) *Browser {
	t.Helper()
	if _, err := os.Stat(Path); err != nil {
		testenv.Missing(t, fmt.Sprintf("browser check needs Chromium at %s: %v (apt-get install chromium)", Path, err))
	}
	out := os.Getenv("LOBSTERS_SCREENSHOT_DIR")
	if out == "" {
		out = filepath.Join(os.TempDir(), "lobsters-screenshots")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatalf("screenshot folder: %v", err)
	}
	return &Browser{t: t, out: out}
}

// KeepProfile makes every later visit share one profile, as one person's
// browser does: cookies persist.
func (b *Browser) KeepProfile() { b.profile = b.t.TempDir() }

// run starts Chromium once, with b's profile or a fresh one, and returns its
// stdout.
func (b *Browser) run(url string, args ...string) string {
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
	cmd := exec.CommandContext(ctx, Path, append(append(base, args...), url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		b.t.Fatalf("chromium %s %s: %v\n%s", strings.Join(args, " "), url, err, stderr.String())
	}
	return stdout.String()
}

// Visit loads url as a person would, saves what it looks like as name.png
// (logging the path) and returns the text they would read.
func (b *Browser) Visit(url, name string) string {
	b.t.Helper()
	return VisibleText(b.VisitDOM(url, name))
}

// VisitDOM is Visit returning the page's DOM, as Chromium serialises it.
func (b *Browser) VisitDOM(url, name string) string {
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

var (
	headRE  = regexp.MustCompile(`(?s)<head>.*</head>`)
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// VisibleText is the text of an HTML page as a reader sees it: no head, no
// tags, entities decoded, white space collapsed.
func VisibleText(page string) string {
	page = headRE.ReplaceAllString(page, " ")
	return strings.TrimSpace(spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(page, " ")), " "))
}
