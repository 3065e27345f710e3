package lobsters_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/baggage"

	"microwizard/internal/personal"
	"microwizard/internal/testenv/mariadbtest"
	"microwizard/lobsters"
	"microwizard/lobsters/reader"
)

// sharedVersion is the version the mesh stand-in falls back to.
const sharedVersion = "lobpop_v1"

// meshStandIn stands in for the mesh and the popularity service behind it:
// a request whose baggage names one of its private versions, as the route
// svctl writes matches it (personal.HeaderRegex), gets that version's answer;
// every other request gets the shared version's. It keeps the baggage header
// lines of every call.
type meshStandIn struct {
	*httptest.Server
	mu    sync.Mutex
	calls [][]string // the baggage header lines of each call, nil for none
}

func newMeshStandIn(t *testing.T, private ...string) *meshStandIn {
	t.Helper()
	m := &meshStandIn{}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lines := r.Header.Values(personal.Header)
		m.mu.Lock()
		m.calls = append(m.calls, slices.Clone(lines))
		m.mu.Unlock()
		version := sharedVersion
		for _, p := range private {
			if regexp.MustCompile(personal.HeaderRegex(p)).MatchString(strings.Join(lines, ",")) {
				version = p
			}
		}
		serveJSON(http.StatusOK, replyOf(version))(w, r)
	}))
	t.Cleanup(m.Close)
	return m
}

// replyOf is the answer of version's instance.
func replyOf(version string) string {
	return fmt.Sprintf(`{"service_id":"sid-%[1]s","version":%[1]q,"instance":"%[1]s-instance-1","index":1,
		"users":[{"username":"carol","karma":50},{"username":"alice","karma":42}]}`, version)
}

// lastBaggage returns the baggage header lines of the service's last call.
func (m *meshStandIn) lastBaggage(t *testing.T) []string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.calls) == 0 {
		t.Fatal("the popularity service was not called")
	}
	return m.calls[len(m.calls)-1]
}

// sentBaggage parses the one baggage header line the service's last call
// carried.
func (m *meshStandIn) sentBaggage(t *testing.T) baggage.Baggage {
	t.Helper()
	lines := m.lastBaggage(t)
	if len(lines) != 1 {
		t.Fatalf("the service got %d baggage header lines %q, want 1", len(lines), lines)
	}
	b, err := baggage.Parse(lines[0])
	if err != nil {
		t.Fatalf("the service got baggage %q, which is not valid: %v", lines[0], err)
	}
	return b
}

// fetchPage does GET path on srv through client with header, and returns the
// response (its body read and closed) and the page.
func fetchPage(t *testing.T, client *http.Client, srv *httptest.Server, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp, string(b)
}

// versionCookie returns the svctl-version cookie resp sets, if it sets one.
func versionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == personal.Member {
			return c
		}
	}
	return nil
}

// banner returns what the version banner of page says, "" without one.
func banner(page string) string {
	m := regexp.MustCompile(`(?s)<p class="version-banner"[^>]*>(.*?)</p>`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return visibleText(m[1])
}

var clearLinkRE = regexp.MustCompile(`<a class="version-clear" href="([^"]*)">clear</a>`)

// clearLink returns the address of the banner's clear link.
func clearLink(t *testing.T, page string) string {
	t.Helper()
	m := clearLinkRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page has no clear link:\n%s", page)
	}
	return html.UnescapeString(m[1])
}

// liveFile is a versions file (LOBSTERS_VERSIONS_FILE) a test writes, as
// the monolith's Nomad template would.
type liveFile struct {
	t    *testing.T
	path string
}

// set writes the file: each version live for an hour more, owned by
// dev@example.com.
func (f liveFile) set(names ...string) {
	f.t.Helper()
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s\tdev@example.com\t%s\n", n, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	}
	if err := os.WriteFile(f.path, []byte(b.String()), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// newPersonalSite is newSite with personal routing on (the development
// jobs' setting), live the private versions listed in its versions file.
func newPersonalSite(t *testing.T, popularityURL string, live ...string) (*httptest.Server, liveFile) {
	t.Helper()
	f := liveFile{t: t, path: filepath.Join(t.TempDir(), "private_versions.tsv")}
	f.set(live...)
	cfg := testConfig(popularityURL)
	cfg.PersonalVersions, cfg.VersionsFile = true, f.path
	db := mariadbtest.New(t)
	seedSite(t, db.DB)
	return startApp(t, db.DB, cfg), f
}

// choose follows a ?svctl-version=NAME link as a reader does: the
// confirmation page, then its form. It returns the form's answer.
func choose(t *testing.T, client *http.Client, srv *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	resp, page := fetchPage(t, client, srv, path, nil)
	if resp.StatusCode != http.StatusOK || versionCookie(resp) != nil {
		t.Fatalf("GET %s: %d, cookie %v; want the confirmation page (200) and no choice made", path, resp.StatusCode, versionCookie(resp))
	}
	action, form, ok := reader.ConfirmForm(page)
	if !ok {
		t.Fatalf("GET %s: no confirmation form:\n%s", path, visibleText(page))
	}
	return post(t, client, srv, action, form, nil)
}

// post posts form to path, without following a redirect.
func post(t *testing.T, client *http.Client, srv *httptest.Server, path string, form url.Values, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range header {
		req.Header[k] = vs
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// With personal routing off (the default: a public edge), nothing of an
// outsider's baggage goes on, svctl-version least of all, and a link
// chooses nothing.
func TestPersonalRoutingIsOffByDefault(t *testing.T) {
	t.Parallel()
	mesh := newMeshStandIn(t, "lobpop_v2")
	srv, _ := newSite(t, mesh.URL+"/")
	client := srv.Client()
	resp, page := fetchPage(t, client, srv, "/popular?svctl-version=lobpop_v2", http.Header{"Baggage": {"svctl-version=lobpop_v2,userId=admin,isInternal=true"}})
	if lines := mesh.lastBaggage(t); lines != nil {
		t.Errorf("personal routing off: the service got baggage %q, want none", lines)
	}
	inOrder(t, visibleText(page), lobsters.PopularHeading, "Service ID: "+sharedVersion)
	if banner(page) != "" || len(resp.Cookies()) != 0 || strings.Contains(page, "confirm-form") {
		t.Errorf("personal routing off: a link chose a version, set cookies %v, or offered a form:\n%s", resp.Cookies(), visibleText(page))
	}
	fetchPage(t, client, srv, "/popular", http.Header{"Cookie": {"svctl-version=lobpop_v2"}})
	if lines := mesh.lastBaggage(t); lines != nil {
		t.Errorf("personal routing off: a cookie sent baggage %q", lines)
	}
}

func TestPopularSendsTheBaggageOn(t *testing.T) {
	t.Parallel()
	mesh := newMeshStandIn(t, "lobpop_v2", "lobpop_v3")
	srv, _ := newPersonalSite(t, mesh.URL+"/", "lobpop_v2")
	client := srv.Client()

	// Without baggage the call carries none.
	_, page := fetchPage(t, client, srv, "/popular", nil)
	if lines := mesh.lastBaggage(t); lines != nil {
		t.Errorf("a request without baggage sent baggage %q", lines)
	}
	inOrder(t, visibleText(page), "Service ID: "+sharedVersion)

	for _, lines := range [][]string{
		{"userId=admin, svctl-version=lobpop_v2, isInternal=true"},
		{"userId=admin", "svctl-version=lobpop_v2"}, // two header lines, one list
	} {
		resp, page := fetchPage(t, client, srv, "/popular", http.Header{"Baggage": lines})
		text := visibleText(page)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /popular with baggage %q = %d, want 200", lines, resp.StatusCode)
		}
		b := mesh.sentBaggage(t)
		if b.Len() != 1 || b.Member(personal.Member).Value() != "lobpop_v2" {
			t.Errorf("baggage %q reached the service as %q, want only the accepted member svctl-version=lobpop_v2", lines, b.String())
		}
		inOrder(t, text, "Service ID: lobpop_v2 · instance lobpop_v2-instance-1", "carol - 50")
		if banner(page) != "" || versionCookie(resp) != nil {
			t.Errorf("baggage is no choice in the browser, yet the page shows a banner or sets a cookie:\n%s", text)
		}
	}

	// Another member alone, or a version that is not a live private one
	// (lobpop_v3 has instances, but is not in the list): nothing goes on.
	for _, line := range []string{"userId=alice", "svctl-version=lobpop_v3,userId=alice"} {
		_, page := fetchPage(t, client, srv, "/popular", http.Header{"Baggage": {line}})
		if lines := mesh.lastBaggage(t); lines != nil {
			t.Errorf("baggage %q reached the service as %q, want none", line, lines)
		}
		inOrder(t, visibleText(page), "Service ID: "+sharedVersion)
	}
}

func TestChoosingAVersionInTheBrowser(t *testing.T) {
	t.Parallel()
	mesh := newMeshStandIn(t, "lobpop_v2", "lobpop_v3")
	srv, live := newPersonalSite(t, mesh.URL+"/", "lobpop_v2", "lobpop_v3")
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar}

	// The link opens the confirmation page: the version, its owner, when it
	// expires; nothing is chosen yet.
	resp, page := fetchPage(t, client, srv, "/popular?svctl-version=lobpop_v3", nil)
	if resp.StatusCode != http.StatusOK || versionCookie(resp) != nil {
		t.Fatalf("the link: %d, cookie %v; want the confirmation page and no choice", resp.StatusCode, versionCookie(resp))
	}
	inOrder(t, visibleText(page), "Choose the personal version lobpop_v3?", "lobpop_v3", "dev@example.com", "until")

	// A form posted from elsewhere (no visitor cookie, or a made-up token)
	// changes nothing.
	for what, c := range map[string]*http.Client{"another site's form": {}, "a made-up token": client} {
		resp, page := post(t, c, srv, "/svctl-version", url.Values{"name": {"lobpop_v3"}, "return": {"/popular"}, "token": {strings.Repeat("0", 64)}}, nil)
		if resp.StatusCode != http.StatusForbidden || versionCookie(resp) != nil || !strings.Contains(visibleText(page), "nothing was changed") {
			t.Errorf("%s: %d, cookie %v, want 403 and nothing changed:\n%s", what, resp.StatusCode, versionCookie(resp), visibleText(page))
		}
	}

	// The page's own form chooses it, and goes back to the page.
	resp, _ = choose(t, client, srv, "/popular?svctl-version=lobpop_v3")
	c := versionCookie(resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/popular" {
		t.Errorf("the form's answer: %d to %q, want 303 to /popular", resp.StatusCode, resp.Header.Get("Location"))
	}
	if c == nil || c.Value != "lobpop_v3" || c.Path != "/" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.MaxAge <= 0 || c.MaxAge > 3600 {
		t.Fatalf("the form set the cookie %v, want svctl-version=lobpop_v3; Path=/; HttpOnly; SameSite=Strict; Max-Age at most the hour the version has left", c)
	}
	resp, page = fetchPage(t, client, srv, "/popular", http.Header{"Baggage": {"userId=alice,svctl-version=lobpop_v2"}})
	if got := banner(page); got != "viewing lobpop_v3 · clear" {
		t.Errorf("banner = %q, want %q", got, "viewing lobpop_v3 · clear")
	}
	if lines := mesh.lastBaggage(t); !slices.Equal(lines, []string{"svctl-version=lobpop_v3"}) {
		t.Errorf("the service got baggage %q, want only svctl-version=lobpop_v3 (the choice, over the request's own)", lines)
	}
	inOrder(t, visibleText(page), "viewing lobpop_v3", lobsters.PopularHeading, "Service ID: lobpop_v3 · instance lobpop_v3-instance-1")
	if versionCookie(resp) != nil {
		t.Errorf("a page without the parameter set the cookie again")
	}
	for _, path := range []string{"/about", "/u/alice", "/no/such/page"} {
		_, other := fetchPage(t, client, srv, path, nil)
		if got := banner(other); got != "viewing lobpop_v3 · clear" {
			t.Errorf("%s: banner = %q, want %q", path, got, "viewing lobpop_v3 · clear")
		}
	}
	_, newest := fetchPage(t, client, srv, "/newest?page=1", nil)
	if got := clearLink(t, newest); got != "/newest?page=1&svctl-version=" {
		t.Errorf("the clear link of /newest?page=1 is %q, want /newest?page=1&svctl-version=", got)
	}

	// Behind HTTPS the cookie is Secure; the form never sends the reader to
	// another site.
	_, page = fetchPage(t, client, srv, "/about?svctl-version=lobpop_v2", nil)
	_, form, ok := reader.ConfirmForm(page)
	if !ok {
		t.Fatalf("no confirmation form:\n%s", visibleText(page))
	}
	form.Set("return", "//evil.example/x")
	resp, _ = post(t, client, srv, "/svctl-version", form, http.Header{"X-Forwarded-Proto": {"https"}})
	if c := versionCookie(resp); c == nil || !c.Secure || resp.Header.Get("Location") != "/" {
		t.Errorf("behind HTTPS with a foreign return: cookie %v, to %q; want Secure, and back to /", c, resp.Header.Get("Location"))
	}
	jar.SetCookies(mustURL(t, srv.URL), []*http.Cookie{{Name: personal.Member, Value: "lobpop_v3", Path: "/"}})

	// A version that is not live: its page offers nothing, and a cookie
	// naming one chooses nothing.
	resp, page = fetchPage(t, client, srv, "/popular?svctl-version=lobpop_v9", nil)
	if resp.StatusCode != http.StatusNotFound || strings.Contains(page, "confirm-form") || !strings.Contains(visibleText(page), "lobpop_v9 is not a live private version") {
		t.Errorf("the link of a version that is not live: %d, want 404 and no form:\n%s", resp.StatusCode, visibleText(page))
	}
	live.set("lobpop_v2")
	time.Sleep(1100 * time.Millisecond) // the file is looked at once a second
	_, page = fetchPage(t, client, srv, "/popular", nil)
	if got := banner(page); got != "" || mesh.lastBaggage(t) != nil {
		t.Errorf("lobpop_v3 is no longer live, yet banner %q and baggage %q", got, mesh.lastBaggage(t))
	}

	// The clear link clears the cookie and the banner.
	jar.SetCookies(mustURL(t, srv.URL), []*http.Cookie{{Name: personal.Member, Value: "lobpop_v2", Path: "/"}})
	_, page = fetchPage(t, client, srv, "/popular", nil)
	link := clearLink(t, page)
	if link != "/popular?svctl-version=" {
		t.Errorf("the clear link of /popular is %q, want /popular?svctl-version=", link)
	}
	resp, page = fetchPage(t, client, srv, link, nil)
	if c := versionCookie(resp); c == nil || c.MaxAge >= 0 || c.Path != "/" {
		t.Errorf("the clear link set the cookie %v, want it deleted (Max-Age<0, Path=/)", c)
	}
	if got := banner(page); got != "" || mesh.lastBaggage(t) != nil {
		t.Errorf("after clear, banner %q and baggage %q, want neither", got, mesh.lastBaggage(t))
	}
	inOrder(t, visibleText(page), "Service ID: "+sharedVersion)
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestMalformedBaggageIsIgnored(t *testing.T) {
	t.Parallel()
	mesh := newMeshStandIn(t, "lobpop_v2", "lobpop_v3")
	srv, _ := newPersonalSite(t, mesh.URL+"/", "lobpop_v2", "lobpop_v3")
	client := srv.Client()
	garbage := strings.Repeat(`=;,%zz"\ k==v;;x=%ff,`, 500)[:10<<10]

	for _, tc := range []struct{ name, baggage string }{
		{"empty members", "svctl-version=lobpop_v2,=,,"},
		{"no value", "svctl-version"},
		{"10 KB of garbage", garbage},
		{"over the size limit", "svctl-version=lobpop_v2," + strings.Repeat("k=v,", 2500)},
	} {
		for _, cookie := range []string{"", "lobpop_v3"} {
			h := http.Header{"Baggage": {tc.baggage}}
			if cookie != "" {
				h.Set("Cookie", personal.Member+"="+cookie)
			}
			resp, page := fetchPage(t, client, srv, "/popular", h)
			text := visibleText(page)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s, cookie %q: GET /popular = %d, want 200:\n%s", tc.name, cookie, resp.StatusCode, text)
			}
			answered := sharedVersion
			var want []string
			if cookie != "" {
				answered, want = cookie, []string{personal.Member + "=" + cookie}
			}
			if lines := mesh.lastBaggage(t); !slices.Equal(lines, want) {
				t.Errorf("%s, cookie %q: the service got baggage %.200q, want %q", tc.name, cookie, lines, want)
			}
			inOrder(t, text, lobsters.PopularHeading, "Service ID: "+answered+" · instance", "Query Speed:", "carol - 50", "alice - 42")
			if strings.Contains(page, `class="notice`) {
				t.Errorf("%s, cookie %q: the page shows a notice:\n%s", tc.name, cookie, text)
			}
		}
	}
}

func TestInvalidVersionParameterIsNoticed(t *testing.T) {
	t.Parallel()
	mesh := newMeshStandIn(t, "lobpop_v3")
	srv, _ := newPersonalSite(t, mesh.URL+"/", "lobpop_v3")
	client := srv.Client()

	resp, page := fetchPage(t, client, srv, "/popular?svctl-version=x%20y", nil)
	text := visibleText(page)
	if !strings.Contains(text, `svctl-version "x y" is not a version name: ignored`) {
		t.Errorf("the page does not say the value was ignored:\n%s", text)
	}
	if h := resp.Header.Values("Set-Cookie"); len(h) != 0 {
		t.Errorf("an invalid value set cookies %q", h)
	}
	if banner(page) != "" || mesh.lastBaggage(t) != nil {
		t.Errorf("an invalid value chose a version: banner %q, baggage %q", banner(page), mesh.lastBaggage(t))
	}
	inOrder(t, text, "is not a version name: ignored", "Service ID: "+sharedVersion, "carol - 50")

	// With a version chosen already, an invalid value leaves it.
	resp, page = fetchPage(t, client, srv, "/popular?svctl-version=x", http.Header{"Cookie": {"svctl-version=lobpop_v3"}})
	if h := resp.Header.Values("Set-Cookie"); len(h) != 0 {
		t.Errorf("an invalid value touched the cookie: %q", h)
	}
	inOrder(t, visibleText(page), "viewing lobpop_v3", `svctl-version "x" is not a version name: ignored`, "Service ID: lobpop_v3")

	// Any page says so, escaped, and cut short.
	_, page = fetchPage(t, client, srv, "/about?svctl-version="+url.QueryEscape("<script>alert(1)</script>"), nil)
	if strings.Contains(page, "<script>") || !strings.Contains(visibleText(page), `svctl-version "<script>alert(1)</script>" is not a version name: ignored`) {
		t.Errorf("/about does not show the ignored value, escaped:\n%s", page)
	}
	_, page = fetchPage(t, client, srv, "/about?svctl-version="+strings.Repeat("a", 5000), nil)
	if text := visibleText(page); !strings.Contains(text, "is not a version name: ignored") || strings.Contains(text, strings.Repeat("a", 100)) {
		t.Errorf("a 5000-byte value is not cut short in the notice:\n%.500s", text)
	}

	// An invalid cookie value chooses nothing.
	_, page = fetchPage(t, client, srv, "/popular", http.Header{"Cookie": {"svctl-version=x"}})
	if banner(page) != "" || mesh.lastBaggage(t) != nil {
		t.Errorf("the cookie svctl-version=x chose a version: banner %q, baggage %q", banner(page), mesh.lastBaggage(t))
	}
}

func TestPopularSaysWhenAnotherVersionAnswered(t *testing.T) {
	t.Parallel()
	mesh := newMeshStandIn(t, "lobpop_v2")
	// lobpop_v9 is live (listed) but has no instance the mesh knows.
	srv, _ := newPersonalSite(t, mesh.URL+"/", "lobpop_v2", "lobpop_v9")
	client := srv.Client()
	const said = "lobpop_v9 did not answer (no healthy instance of it, or it is not a personal version): a shared version did."

	for _, tc := range []struct {
		name     string
		path     string
		header   http.Header
		answered string
		fallback bool
	}{
		{"cookie names a version without instances", "/popular", http.Header{"Cookie": {"svctl-version=lobpop_v9"}}, sharedVersion, true},
		{"baggage names a version without instances", "/popular", http.Header{"Baggage": {"svctl-version=lobpop_v9"}}, sharedVersion, true},
		{"cookie names a version with instances", "/popular", http.Header{"Cookie": {"svctl-version=lobpop_v2"}}, "lobpop_v2", false},
		{"baggage names a version with instances", "/popular", http.Header{"Baggage": {"svctl-version=lobpop_v2"}}, "lobpop_v2", false},
		{"no version named", "/popular", nil, sharedVersion, false},
	} {
		_, page := fetchPage(t, client, srv, tc.path, tc.header)
		text := visibleText(page)
		inOrder(t, text, lobsters.PopularHeading, "Service ID: "+tc.answered)
		notice := regexp.MustCompile(`<p class="notice version-fallback"[^>]*>(.*?)</p>`).FindStringSubmatch(page)
		switch {
		case tc.fallback && (notice == nil || visibleText(notice[1]) != said):
			t.Errorf("%s: want the notice %q:\n%s", tc.name, said, text)
		case !tc.fallback && notice != nil:
			t.Errorf("%s: %s answered as asked, yet the page says %q", tc.name, tc.answered, visibleText(notice[1]))
		}
	}

	// An answer that does not say its version tells no fallback.
	anon := httptest.NewServer(serveJSON(http.StatusOK, `{"users":[{"username":"carol","karma":50}]}`))
	defer anon.Close()
	srv, _ = newPersonalSite(t, anon.URL+"/", "lobpop_v9")
	_, page := fetchPage(t, srv.Client(), srv, "/popular", http.Header{"Baggage": {"svctl-version=lobpop_v9"}})
	if !strings.Contains(visibleText(page), "carol - 50") || strings.Contains(page, "version-fallback") {
		t.Errorf("an answer without a version: want the users and no fallback notice:\n%s", visibleText(page))
	}
}
