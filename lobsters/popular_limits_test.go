package lobsters_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"microwizard/internal/dbforward"
	"microwizard/internal/testenv/mariadbtest"
	"microwizard/lobsters"
	"microwizard/popularity"
)

// TestPopularReadsOnlyWhatThePageCanShow: the monolith does not follow a
// redirect from the service, and an answer over about 1 MiB or with more
// users than the service ever sends is the instance's error, not a page
// that large.
func TestPopularReadsOnlyWhatThePageCanShow(t *testing.T) {
	t.Parallel()
	elsewhere := httptest.NewServer(serveJSON(http.StatusOK, v1Reply))
	defer elsewhere.Close()
	redirect := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/", http.StatusFound))
	defer redirect.Close()
	if _, _, text := popularPage(t, redirect.URL+"/"); strings.Contains(text, "carol - 50") {
		t.Errorf("the monolith followed the service's redirect:\n%s", text)
	}

	users := func(n int, about string) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"username":"u%d","karma":%d%s}`, i, n-i, about)
		}
		return `{"service_id":"s","version":"v","instance":"i","index":1,"query_ms":1,"users":[` + b.String() + `]}`
	}
	// The most the service sends is shown.
	full := httptest.NewServer(serveJSON(http.StatusOK, users(popularity.MaxLimit, "")))
	if _, _, text := popularPage(t, full.URL+"/"); !strings.Contains(text, fmt.Sprintf("u%d - 1", popularity.MaxLimit-1)) {
		t.Errorf("a list of the service's MaxLimit users is not shown whole:\n%.300s", text)
	}
	full.Close()

	for name, body := range map[string]string{
		"too many users": users(popularity.MaxLimit+1, ""),
		"too many bytes": users(10, `,"about":"`+strings.Repeat("x", 1<<20)+`"`),
	} {
		svc := httptest.NewServer(serveJSON(http.StatusOK, body))
		status, page, text := popularPage(t, svc.URL+"/")
		svc.Close()
		if status != http.StatusOK || !strings.Contains(text, "too large to show") || len(page) > 1<<20 {
			t.Errorf("%s: GET /popular = %d, %d bytes, want the instance's error:\n%.300s", name, status, len(page), text)
		}
	}
}

// TestNoServiceWithTheDatabaseDownSaysTheDataIsUnavailable: when no
// instance answers because the database they all read is down (their
// health checks fail, the sidecar answers in their place), the page says
// the data is unavailable, on every load, not NO SERVICES AVAILABLE.
func TestNoServiceWithTheDatabaseDownSaysTheDataIsUnavailable(t *testing.T) {
	t.Parallel()
	envoy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("no healthy upstream"))
	}))
	defer envoy.Close()
	db := mariadbtest.New(t)
	// The monolith reaches its database through a path the test can cut.
	fwd, dsn, err := dbforward.New(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer fwd.Close()
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	srv := startApp(t, conn, testConfig(envoy.URL+"/"))
	if _, body := get(t, srv, "/popular"); !strings.Contains(visibleText(body), lobsters.NoServicesAvailable) {
		t.Fatalf("with the database up, no instance is NO SERVICES AVAILABLE:\n%s", visibleText(body))
	}
	fwd.Cut() // the database goes
	for k := 0; k < 3; k++ {
		start := time.Now()
		_, body := get(t, srv, "/popular")
		text := visibleText(body)
		if strings.Contains(text, lobsters.NoServicesAvailable) || !strings.Contains(text, "The popularity data is unavailable right now: database unavailable") {
			t.Fatalf("load %d with the database down:\n%s", k+1, text)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("load %d with the database down took %s", k+1, took)
		}
	}
}
