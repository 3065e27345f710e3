package lobsters_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"microwizard/internal/testenv/mariadbtest"
	"microwizard/lobsters"
)

// v1Reply is what a healthy instance of the popularity service answers.
const v1Reply = `{"service_id":"3f2a9c1e-sid","version":"lobpop_v1","instance":"1700000000_abcdef",
	"index":7,"query_ms":3.5,"users":[{"username":"carol","karma":50},{"username":"alice","karma":42},{"username":"bob","karma":7}]}`

// popularPage fetches /popular from a monolith whose service is at url and
// returns the status, the page and its visible text.
func popularPage(t *testing.T, url string) (int, string, string) {
	t.Helper()
	db := mariadbtest.New(t)
	srv := startApp(t, db.DB, testConfig(url))
	status, body := get(t, srv, "/popular")
	return status, body, visibleText(body)
}

var querySpeedRE = regexp.MustCompile(`Query Speed: \d+ ms`)

func TestPopularShowsUsersFromTheService(t *testing.T) {
	t.Parallel()
	svc := httptest.NewServer(serveJSON(http.StatusOK, v1Reply))
	defer svc.Close()
	status, body, text := popularPage(t, svc.URL+"/")
	if status != http.StatusOK {
		t.Fatalf("GET /popular = %d, want 200", status)
	}
	inOrder(t, text, lobsters.PopularHeading,
		"Service ID: lobpop_v1 · instance 1700000000_abcdef · 3f2a9c1e-sid · request #7",
		"Query Speed:", "carol - 50", "alice - 42", "bob - 7")
	if !querySpeedRE.MatchString(text) || !strings.Contains(text, "(the service's own database query: 3.5 ms)") {
		t.Errorf("page lacks the query speeds:\n%s", text)
	}
	if strings.Contains(text, lobsters.NoServicesAvailable) {
		t.Errorf("page says %s although the service answered", lobsters.NoServicesAvailable)
	}
	for _, u := range []string{"carol", "alice", "bob"} {
		if !strings.Contains(body, `<a class="user" href="/u/`+u+`">`+u+`</a>`) {
			t.Errorf("%s does not link to their profile:\n%s", u, body)
		}
	}
	if !strings.Contains(body, `<a href="/popular" class="current" aria-current="page">Most Popular Users</a>`) {
		t.Errorf("the nav does not mark Most Popular Users as the current page")
	}
}

// noServicesAvailable checks the page the original showed when no instance
// could answer.
func noServicesAvailable(t *testing.T, status int, body, text string) {
	t.Helper()
	if status != http.StatusOK {
		t.Errorf("GET /popular = %d, want 200: the page renders, without users", status)
	}
	inOrder(t, text, lobsters.PopularHeading, "Service ID: NO SERVICES AVAILABLE", "Query Speed:")
	if strings.Contains(body, "popular-users") || strings.Contains(text, "unavailable right now") {
		t.Errorf("want no users and no other message:\n%s", text)
	}
}

func TestPopularWithNothingListening(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // connection refused from now on
	status, body, text := popularPage(t, "http://"+addr+"/")
	noServicesAvailable(t, status, body, text)
}

func TestPopularWhenTheProxyHasNoUpstream(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		body        string
	}{
		{"envoy no healthy upstream", 503, "text/plain", "no healthy upstream"},
		{"envoy connect failure", 503, "text/plain", "upstream connect error or disconnect/reset before headers. reset reason: connection failure"},
		{"haproxy 503 page", 503, "text/html", "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>"},
		{"bad gateway", 502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"},
		{"gateway timeout", 504, "text/plain", "upstream request timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer proxy.Close()
			status, body, text := popularPage(t, proxy.URL+"/")
			noServicesAvailable(t, status, body, text)
		})
	}
}

// When the proxy answers in the instances' place (a retry Envoy would not
// make, an instance that just left), the monolith tries again, and shows the
// instance's answer.
func TestPopularTriesAgainWhenTheProxyAnswers(t *testing.T) {
	t.Parallel()
	db := seeded(t)
	svc := realService(t, db.DB, "lobpop_v1")
	target, err := url.Parse(svc.URL)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	var calls atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusGatewayTimeout)
			_, _ = w.Write([]byte("upstream request timeout"))
			return
		}
		forward.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	srv := startApp(t, db.DB, testConfig(proxy.URL+"/"))
	status, body := get(t, srv, "/popular")
	text := visibleText(body)
	if status != http.StatusOK || !strings.Contains(text, "Service ID: lobpop_v1") {
		t.Fatalf("after two 504s from the proxy the page is %d:\n%s", status, text)
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("the monolith called the proxy %d times, want 3", n)
	}
}

// A refusal (403: no intention allows the monolith) is not tried again:
// another try would get the same.
func TestPopularDoesNotRetryARefusal(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("RBAC: access denied"))
	}))
	defer proxy.Close()
	status, body, text := popularPage(t, proxy.URL+"/")
	noServicesAvailable(t, status, body, text)
	if n := calls.Load(); n != 1 {
		t.Fatalf("the monolith called %d times after a 403, want 1", n)
	}
}

// An L4 proxy with no upstream accepts the connection, then closes or resets
// it before any response.
func TestPopularWhenTheConnectionClosesWithoutResponse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		handle func(c *net.TCPConn)
	}{
		{"closed at once", func(c *net.TCPConn) { c.Close() }},
		{"closed after the request", func(c *net.TCPConn) {
			_, _ = c.Read(make([]byte, 4096))
			c.Close()
		}},
		{"reset", func(c *net.TCPConn) {
			_, _ = c.Read(make([]byte, 4096))
			_ = c.SetLinger(0) // close sends RST
			c.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go func() {
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					tc.handle(c.(*net.TCPConn))
				}
			}()
			status, body, text := popularPage(t, "http://"+l.Addr().String()+"/")
			noServicesAvailable(t, status, body, text)
		})
	}
}

// An instance whose database is down says so; another try would find the
// same database down, so the monolith does not make one.
func TestPopularWhenTheServiceLostItsDatabase(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		serveJSON(http.StatusServiceUnavailable,
			`{"error":"database unavailable: dial unix /run/mysqld/mysqld.sock: connect: connection refused"}`)(w, r)
	}))
	defer svc.Close()
	status, body, text := popularPage(t, svc.URL+"/")
	if n := calls.Load(); n != 1 {
		t.Errorf("the monolith called %d times after database unavailable, want 1", n)
	}
	if status != http.StatusOK {
		t.Errorf("GET /popular = %d, want 200", status)
	}
	if !strings.Contains(text, "The popularity data is unavailable right now: database unavailable") {
		t.Errorf("page does not say the data is unavailable:\n%s", text)
	}
	if strings.Contains(text, lobsters.NoServicesAvailable) || strings.Contains(text, "mysqld.sock") || strings.Contains(body, "popular-users") {
		t.Errorf("want the service's error, not NO SERVICES AVAILABLE, no internals, no users:\n%s", text)
	}
}

// busyReply is what an instance of the service answers when every one of
// its database connections stayed in use for longer than it waits.
const busyReply = `{"error":"busy: the one database connection was in use for longer than 500ms"}`

// serveBusy answers as a busy instance does: 503 with Retry-After and its
// busy error.
func serveBusy(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "1")
	serveJSON(http.StatusServiceUnavailable, busyReply)(w, r)
}

// A busy instance is tried again after a moment, not after its Retry-After:
// another try may reach another
// instance, or this one with a connection free.
func TestPopularTriesAgainWhenTheServiceIsBusy(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			serveBusy(w, r)
			return
		}
		serveJSON(http.StatusOK, v1Reply)(w, r)
	}))
	defer svc.Close()
	status, _, text := popularPage(t, svc.URL+"/")
	if status != http.StatusOK || !strings.Contains(text, "Service ID: lobpop_v1") || !strings.Contains(text, "carol - 50") {
		t.Fatalf("after a busy answer then users the page is %d:\n%s", status, text)
	}
	if strings.Contains(text, "busy") {
		t.Errorf("the page mentions the busy try although the next one answered:\n%s", text)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("the monolith called the service %d times, want 2", n)
	}
}

// Busy on every try, the page says the service is busy and how often it was
// tried: an answer from the service, not NO SERVICES AVAILABLE.
func TestPopularSaysTheServiceIsBusyAfterItsTries(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		serveBusy(w, r)
	}))
	defer svc.Close()
	status, body, text := popularPage(t, svc.URL+"/")
	if status != http.StatusOK || !strings.Contains(text, "The popularity service is busy right now (tried 3 times).") {
		t.Errorf("GET /popular = %d, want 200 saying the service is busy after 3 tries:\n%s", status, text)
	}
	if strings.Contains(text, lobsters.NoServicesAvailable) || strings.Contains(body, "popular-users") {
		t.Errorf("want the service's busy answer, not NO SERVICES AVAILABLE, no users:\n%s", text)
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("the monolith called the service %d times, want 3", n)
	}
}

func TestPopularTimesOut(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer svc.Close()
	defer close(release)

	db := mariadbtest.New(t)
	cfg := testConfig(svc.URL + "/")
	cfg.PopularityTimeout = 250 * time.Millisecond
	srv := startApp(t, db.DB, cfg)
	start := time.Now()
	status, body := get(t, srv, "/popular")
	elapsed := time.Since(start)
	text := visibleText(body)
	if status != http.StatusOK || !strings.Contains(text, "The popularity service did not answer within 0.25 s.") {
		t.Errorf("GET /popular = %d, want 200 saying the service did not answer in time:\n%s", status, text)
	}
	if strings.Contains(text, lobsters.NoServicesAvailable) {
		t.Errorf("a timeout is not NO SERVICES AVAILABLE:\n%s", text)
	}
	if elapsed > 5*time.Second {
		t.Errorf("/popular took %s with a 250ms upstream timeout", elapsed)
	}
}

func TestOtherPagesNeverCallTheService(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		serveJSON(http.StatusOK, v1Reply)(w, r)
	}))
	defer svc.Close()
	srv, _ := newSite(t, svc.URL+"/")
	for _, p := range []string{"/", "/newest", "/s/rust01", "/u/alice", "/u/nobody", "/health", "/assets/style.css"} {
		get(t, srv, p)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("other pages called the popularity service %d times", n)
	}
	get(t, srv, "/popular")
	if n := calls.Load(); n != 1 {
		t.Errorf("/popular called the service %d times, want 1", n)
	}
}

// Behind an L4 proxy that picks an instance per TCP connection, keep-alives
// must be off so that each /popular can reach another instance.
func TestPopularKeepAliveSetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		keepAlive bool
		wantConns int64
	}{{true, 1}, {false, 3}} {
		var conns atomic.Int64
		svc := httptest.NewUnstartedServer(serveJSON(http.StatusOK, v1Reply))
		svc.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}
		svc.Start()
		db := mariadbtest.New(t)
		cfg := testConfig(svc.URL + "/")
		cfg.PopularityKeepAlive = tc.keepAlive
		srv := startApp(t, db.DB, cfg)
		for range 3 {
			if _, body := get(t, srv, "/popular"); !strings.Contains(body, "carol") {
				t.Fatalf("/popular did not show the users:\n%s", visibleText(body))
			}
		}
		if n := conns.Load(); n != tc.wantConns {
			t.Errorf("keep-alive %v: 3 calls opened %d connections, want %d", tc.keepAlive, n, tc.wantConns)
		}
		svc.Close()
	}
}
