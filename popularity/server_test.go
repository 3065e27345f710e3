package popularity

import (
	"context"
	"database/sql"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"microwizard/internal/testenv/mariadbtest"
)

// get sends one request to h and returns the status and the decoded JSON body.
func get(t *testing.T, h http.Handler, method, target string) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q, want application/json", method, target, ct)
	}
	if method == http.MethodHead {
		return rec.Code, nil
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v\n%s", method, target, err, rec.Body)
	}
	return rec.Code, body
}

// usersOf decodes the "users" of a GET / body.
func usersOf(t *testing.T, body map[string]any) []User {
	t.Helper()
	raw, err := json.Marshal(body["users"])
	if err != nil {
		t.Fatal(err)
	}
	var users []User
	if err := json.Unmarshal(raw, &users); err != nil {
		t.Fatalf("users: %v in %s", err, raw)
	}
	return users
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestUsersAreTheMostPopularFirst(t *testing.T) {
	db := mariadbtest.New(t)
	want := smallWorld(t, db.DB)
	h := New(db.DB, Identity{ServiceID: "6f1c1f4e-0000-4000-8000-000000000000", Version: "lobpop_v1", Instance: "alloc-1"}).Handler()

	code, body := get(t, h, http.MethodGet, "/")
	if code != http.StatusOK {
		t.Fatalf("GET /: status %d, want 200: %v", code, body)
	}
	if got, want := keys(body), []string{"index", "instance", "query_ms", "service_id", "users", "version"}; !slices.Equal(got, want) {
		t.Errorf("GET / keys %v, want %v", got, want)
	}
	if body["service_id"] != "6f1c1f4e-0000-4000-8000-000000000000" || body["version"] != "lobpop_v1" || body["instance"] != "alloc-1" {
		t.Errorf("GET / identity %v %v %v, want the server's", body["service_id"], body["version"], body["instance"])
	}
	if ms, ok := body["query_ms"].(float64); !ok || ms <= 0 {
		t.Errorf("query_ms = %v, want a positive number", body["query_ms"])
	}
	// erin has the most karma but is banned; Zed, alice and bob tie on 3.
	if got := usersOf(t, body); !reflect.DeepEqual(got, want) {
		t.Errorf("GET / users\n got %v\nwant %v", got, want)
	}

	code, body = get(t, h, http.MethodGet, "/?limit=2")
	if got := usersOf(t, body); code != http.StatusOK || !reflect.DeepEqual(got, want[:2]) {
		t.Errorf("GET /?limit=2: %d %v, want 200 %v", code, got, want[:2])
	}
}

func TestEmptyDatabaseGivesAnEmptyList(t *testing.T) {
	db := mariadbtest.New(t)
	h := New(db.DB, NewIdentity("", "test")).Handler()
	code, body := get(t, h, http.MethodGet, "/")
	if users, ok := body["users"].([]any); code != http.StatusOK || !ok || len(users) != 0 {
		t.Fatalf("GET / on no users: %d %v, want 200 with users []", code, body)
	}
}

func TestIndexCountsRequestsToBothEndpoints(t *testing.T) {
	db := mariadbtest.New(t)
	h := New(db.DB, NewIdentity("lobpop_v1", "test")).Handler()
	var ids []any
	for i, path := range []string{"/", "/health", "/", "/health"} {
		code, body := get(t, h, http.MethodGet, path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, code, body)
		}
		if body["index"] != float64(i+1) {
			t.Errorf("request %d (GET %s): index %v, want %d", i+1, path, body["index"], i+1)
		}
		ids = append(ids, body["service_id"])
	}
	id, err := uuid.Parse(ids[0].(string))
	if err != nil || id.Version() != 4 {
		t.Errorf("service_id %v is not a UUID v4 (%v)", ids[0], err)
	}
	for _, other := range ids[1:] {
		if other != ids[0] {
			t.Errorf("service_id changed within one process: %v then %v", ids[0], other)
		}
	}
}

func TestNewIdentityIsFreshPerProcess(t *testing.T) {
	a, b := NewIdentity("v", "i"), NewIdentity("v", "i")
	if a.ServiceID == b.ServiceID {
		t.Fatalf("two identities share service id %s", a.ServiceID)
	}
}

func TestLimitMustBeAWholeNumberFrom1To1000(t *testing.T) {
	db := mariadbtest.New(t)
	smallWorld(t, db.DB)
	h := New(db.DB, NewIdentity("", "test")).Handler()
	for _, tc := range []struct {
		query string
		code  int
		users int    // on 200
		err   string // part of the error on 400
	}{
		{"", 200, 6, ""},
		{"?limit=1", 200, 1, ""},
		{"?limit=1000", 200, 6, ""},
		{"?limit=0025", 200, 6, ""},
		{"?other=x&limit=3", 200, 3, ""},
		{"?limit=0", 400, 0, `got "0"`},
		{"?limit=1001", 400, 0, `got "1001"`},
		{"?limit=-1", 400, 0, `got "-1"`},
		{"?limit=%2B5", 400, 0, `got "+5"`},
		{"?limit=abc", 400, 0, `got "abc"`},
		{"?limit=1.5", 400, 0, `got "1.5"`},
		{"?limit=", 400, 0, `got ""`},
		{"?limit=%205", 400, 0, `got " 5"`},
		{"?limit=99999999999999999999", 400, 0, "from 1 to 1000"},
		{"?limit=1&limit=2", 400, 0, "more than once"},
		{"?limit=%zz", 400, 0, "malformed query"},
	} {
		code, body := get(t, h, http.MethodGet, "/"+tc.query)
		if code != tc.code {
			t.Errorf("GET /%s: status %d, want %d: %v", tc.query, code, tc.code, body)
			continue
		}
		if code == http.StatusOK {
			if n := len(usersOf(t, body)); n != tc.users {
				t.Errorf("GET /%s: %d users, want %d", tc.query, n, tc.users)
			}
			continue
		}
		msg, _ := body["error"].(string)
		if !strings.Contains(msg, "limit") && !strings.Contains(msg, "query") || !strings.Contains(msg, tc.err) {
			t.Errorf("GET /%s: error %q, want it to name the problem (%q)", tc.query, msg, tc.err)
		}
		if got := keys(body); !slices.Equal(got, []string{"error"}) {
			t.Errorf("GET /%s: 400 body keys %v, want just error", tc.query, got)
		}
	}
}

func TestOnlyGETAndHEADOnKnownPaths(t *testing.T) {
	db := mariadbtest.New(t)
	h := New(db.DB, NewIdentity("", "test")).Handler()
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{http.MethodHead, "/", 200},
		{http.MethodHead, "/health", 200},
		{http.MethodGet, "/nope", 404},
		{http.MethodGet, "/health/", 404},
		{http.MethodGet, "/users", 404},
		{http.MethodPost, "/", 405},
		{http.MethodDelete, "/health", 405},
		{http.MethodPost, "/nope", 404},
	} {
		code, body := get(t, h, tc.method, tc.path)
		if code != tc.code {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, code, tc.code)
		}
		if code >= 400 {
			if msg, _ := body["error"].(string); msg == "" {
				t.Errorf("%s %s: %d without an error message: %v", tc.method, tc.path, code, body)
			}
		}
	}
}

func TestHealthIsOKWhenTheDatabaseAnswers(t *testing.T) {
	db := mariadbtest.New(t)
	h := New(db.DB, Identity{ServiceID: "id-1", Version: "lobpop_v2", Instance: "alloc-2"}).Handler()
	code, body := get(t, h, http.MethodGet, "/health")
	want := map[string]any{"status": "OK", "service_id": "id-1", "version": "lobpop_v2", "instance": "alloc-2", "index": float64(1)}
	if code != http.StatusOK || !reflect.DeepEqual(body, want) {
		t.Fatalf("GET /health: %d %v, want 200 %v", code, body, want)
	}
}

// unreachableDB returns a pool whose server does not exist: a loopback port
// nothing listens on.
func unreachableDB(t *testing.T) *sql.DB {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	db, err := OpenDB("lobsters:lobsters@tcp("+addr+")/lobsters?timeout=500ms", 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// closedDB returns a pool that has been closed.
func closedDB(t *testing.T) *sql.DB {
	t.Helper()
	db := mariadbtest.New(t)
	db.Close()
	return db.DB
}

func TestWithoutADatabaseHealthAndUsersAre503(t *testing.T) {
	for name, open := range map[string]func(*testing.T) *sql.DB{"unreachable": unreachableDB, "closed": closedDB} {
		t.Run(name, func(t *testing.T) {
			h := New(open(t), NewIdentity("lobpop_v1", "test")).Handler()

			// A short reason: the details (socket path, host:port, MySQL
			// user) are for the log, not for callers.
			code, body := get(t, h, http.MethodGet, "/health")
			msg, _ := body["error"].(string)
			if code != http.StatusServiceUnavailable || body["status"] != "UNAVAILABLE" || msg != "database unavailable" {
				t.Errorf("GET /health: %d %v, want 503 UNAVAILABLE saying only \"database unavailable\"", code, body)
			}

			code, body = get(t, h, http.MethodGet, "/")
			msg, _ = body["error"].(string)
			if code != http.StatusServiceUnavailable || msg != "database unavailable" {
				t.Errorf("GET /: %d %v, want 503 saying only \"database unavailable\"", code, body)
			}
		})
	}
}

// While slow queries hold every pooled connection, /health still answers
// from its own pool: Consul must not take a working instance out.
func TestHealthHasItsOwnConnection(t *testing.T) {
	db := mariadbtest.New(t)
	busy, err := OpenDB(db.DSN, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busy.SetMaxOpenConns(1)
	hold, err := busy.Conn(context.Background()) // the query pool's only connection, taken
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()

	s := New(busy, NewIdentity("lobpop_v2", "test"))
	s.HealthTimeout = 500 * time.Millisecond
	if code, body := get(t, s.Handler(), http.MethodGet, "/health"); code != http.StatusServiceUnavailable {
		t.Fatalf("with the only connection held and no health pool, /health = %d %v; the test cannot tell", code, body)
	}
	s.HealthDB = db.DB
	if code, body := get(t, s.Handler(), http.MethodGet, "/health"); code != http.StatusOK {
		t.Fatalf("with a health pool, /health = %d %v, want 200", code, body)
	}
}
