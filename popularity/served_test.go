package popularity

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"microwizard/internal/testenv/mariadbtest"
)

// servedLine is what a "served" log line says of an answer to GET /.
type servedLine struct {
	n, status int
}

// servedRE is the whole of a "served" line in slog's text format.
var servedRE = regexp.MustCompile(`^time=\S+ level=INFO msg=served n=(\d+) status=(\d+) took=(\S+)$`)

// servedLines returns the "served" lines of a text log, in order. It fails
// the test on a line that says "served" in another shape, or whose time
// taken is not a positive duration.
func servedLines(t *testing.T, log string) []servedLine {
	t.Helper()
	var lines []servedLine
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, " msg=served ") {
			continue
		}
		m := servedRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("served line %q, want time, level=INFO, msg=served, n, status and took, in that order", line)
		}
		if took, err := time.ParseDuration(m[3]); err != nil || took <= 0 {
			t.Errorf("served line %q: took %q is not a positive duration (%v)", line, m[3], err)
		}
		n, _ := strconv.Atoi(m[1])
		status, _ := strconv.Atoi(m[2])
		lines = append(lines, servedLine{n, status})
	}
	return lines
}

// Each answer of GET / (HEAD / too) is one "served" line; n counts them
// 1, 2, 3, ... Other paths and methods log none and take no number.
func TestEachAnswerToSlashIsOneServedLine(t *testing.T) {
	db := mariadbtest.New(t)
	smallWorld(t, db.DB)
	s := New(db.DB, NewIdentity("lobpop_v1", "test"))
	var logs bytes.Buffer
	s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	h := s.Handler()
	for _, r := range []struct{ method, target string }{
		{http.MethodGet, "/"},
		{http.MethodGet, "/health"},
		{http.MethodGet, "/?limit=0"},
		{http.MethodPost, "/"},
		{http.MethodGet, "/nope"},
		{http.MethodHead, "/"},
		{http.MethodGet, "/?limit=2"},
	} {
		get(t, h, r.method, r.target)
	}
	want := []servedLine{{1, 200}, {2, 400}, {3, 200}, {4, 200}}
	if got := servedLines(t, logs.String()); !slices.Equal(got, want) {
		t.Fatalf("served lines %v, want %v:\n%s", got, want, logs.String())
	}

	// Requests at once: each takes the next number, none twice.
	logs.Reset()
	const parallel = 16
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if rec := serve(h, httptest.NewRequest(http.MethodGet, "/", nil)); rec.Code != http.StatusOK {
				t.Errorf("GET /: %d %s", rec.Code, rec.Body)
			}
		}()
	}
	wg.Wait()
	var ns []int
	for _, l := range servedLines(t, logs.String()) {
		ns = append(ns, l.n)
	}
	slices.Sort(ns)
	var wantNs []int
	for n := len(want) + 1; n <= len(want)+parallel; n++ {
		wantNs = append(wantNs, n)
	}
	if !slices.Equal(ns, wantNs) {
		t.Fatalf("%d requests at once logged n %v, want each of %v once", parallel, ns, wantNs)
	}
}

// An answer that the database is unavailable is a "served" line too.
func TestDatabaseUnavailableIsAServedLine(t *testing.T) {
	s := New(closedDB(t), NewIdentity("lobpop_v1", "test"))
	var logs bytes.Buffer
	s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	if code, body := get(t, s.Handler(), http.MethodGet, "/"); code != http.StatusServiceUnavailable {
		t.Fatalf("GET / on a closed pool: %d %v, want 503", code, body)
	}
	if got, want := servedLines(t, logs.String()), []servedLine{{1, 503}}; !slices.Equal(got, want) {
		t.Fatalf("served lines %v, want %v:\n%s", got, want, logs.String())
	}
}

// POPULARITY_LOG_LEVEL sets what the logger lets through: the served lines
// at debug and info, none at warn and error.
func TestLogLevelSwitchesServedLinesOff(t *testing.T) {
	db := mariadbtest.New(t)
	smallWorld(t, db.DB)
	for level, lines := range map[string]int{"debug": 2, "info": 2, "warn": 0, "error": 0} {
		t.Run(level, func(t *testing.T) {
			cfg, err := ConfigFromEnv(env(map[string]string{"POPULARITY_LOG_LEVEL": level}))
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			s := New(db.DB, NewIdentity("lobpop_v1", "test"))
			s.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: cfg.LogLevel}))
			for _, target := range []string{"/", "/?limit=0"} {
				get(t, s.Handler(), http.MethodGet, target)
			}
			if got := len(servedLines(t, logs.String())); got != lines {
				t.Fatalf("at %s: %d served lines, want %d:\n%s", level, got, lines, logs.String())
			}
		})
	}
}
