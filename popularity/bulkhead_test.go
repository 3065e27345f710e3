package popularity

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"microwizard/internal/testenv/mariadbtest"
)

// serve sends one request to h and returns what it answered.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// oneConnServer returns a Server on db whose queries have one connection,
// as in production, logging to logs.
func oneConnServer(t *testing.T, db *mariadbtest.DB, wait time.Duration, logs *bytes.Buffer) *Server {
	t.Helper()
	pool, err := OpenDB(db.DSN, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	s := New(pool, NewIdentity("lobpop_v2", "test"))
	if s.DBConns != 1 {
		t.Fatalf("a Server on a pool of 1 connection has %d query slots, want 1", s.DBConns)
	}
	s.DBWait, s.Logger = wait, slog.New(slog.NewTextHandler(logs, nil))
	t.Cleanup(func() { s.Close() })
	return s
}

// While a request holds the one connection inside the database, the next
// one is answered 503 busy once the wait is over, with Retry-After; the
// first still gets its users, and the connection serves again afterwards.
func TestBusyWhenTheOnlyConnectionStaysInUse(t *testing.T) {
	db := mariadbtest.New(t)
	want := smallWorld(t, db.DB)
	var logs bytes.Buffer
	s := oneConnServer(t, db, 20*time.Millisecond, &logs)
	h := s.Handler()

	lock := lockTable(t, db, "users")
	first := make(chan *httptest.ResponseRecorder, 1)
	go func() { first <- serve(h, httptest.NewRequest(http.MethodGet, "/", nil)) }()
	lock.waitForBlocked(1)

	busy := serve(h, httptest.NewRequest(http.MethodGet, "/", nil))
	if busy.Code != http.StatusServiceUnavailable || busy.Header().Get("Retry-After") != "1" {
		t.Errorf("second request: %d, Retry-After %q, want 503 with Retry-After 1", busy.Code, busy.Header().Get("Retry-After"))
	}
	if got, want := strings.TrimSpace(busy.Body.String()),
		`{"error":"busy: the one database connection was in use for longer than 20ms"}`; got != want {
		t.Errorf("second request: body %s, want %s", got, want)
	}
	select {
	case rec := <-first:
		t.Fatalf("the first request answered %d with the table still locked; the test cannot tell", rec.Code)
	default:
	}

	lock.unlock()
	rec := <-first
	var answer UsersResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || rec.Code != http.StatusOK || !reflect.DeepEqual(answer.Users, want) {
		t.Fatalf("first request: %d %s (%v), want 200 with %v", rec.Code, rec.Body, err, want)
	}
	if code, body := get(t, h, http.MethodGet, "/?limit=2"); code != http.StatusOK {
		t.Fatalf("after the first request: %d %v, want 200: its slot is free again", code, body)
	}

	if !strings.Contains(logs.String(), `level=WARN msg="busy: no database connection free within the wait"`) {
		t.Errorf("the busy answer was not logged at Warn:\n%s", logs.String())
	}
	// One "served" line per answer, counted in the order they were given.
	wantLines := []servedLine{{1, 503}, {2, 200}, {3, 200}}
	if got := servedLines(t, logs.String()); !reflect.DeepEqual(got, wantLines) {
		t.Errorf("served lines %v, want %v:\n%s", got, wantLines, logs.String())
	}
}

// A request whose caller leaves while it waits for a connection is let go
// at once, not kept for the whole wait.
func TestARequestThatEndsWhileWaitingLeaves(t *testing.T) {
	db := mariadbtest.New(t)
	smallWorld(t, db.DB)
	var logs bytes.Buffer
	s := oneConnServer(t, db, time.Hour, &logs)
	h := s.Handler()

	lock := lockTable(t, db, "users")
	first := make(chan *httptest.ResponseRecorder, 1)
	go func() { first <- serve(h, httptest.NewRequest(http.MethodGet, "/", nil)) }()
	lock.waitForBlocked(1)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := serve(h, httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))
	if rec.Code != http.StatusServiceUnavailable || !strings.HasPrefix(rec.Body.String(), `{"error":"canceled: `) ||
		rec.Header().Get("Retry-After") != "" {
		t.Errorf("request ended while waiting: %d %q %s, want 503 canceled without Retry-After",
			rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	lock.unlock()
	if rec := <-first; rec.Code != http.StatusOK {
		t.Fatalf("first request: %d %s, want 200", rec.Code, rec.Body)
	}
}
