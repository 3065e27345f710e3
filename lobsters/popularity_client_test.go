package lobsters

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// answerLimit is the most of an answer the monolith reads, as documented
// (maxPopularBody): written out, so that a test does not move with the
// constant.
const answerLimit = 1 << 20

// answerOfSize is a valid answer of the service, one user, padded to size
// bytes with a field the monolith does not read.
func answerOfSize(t *testing.T, size int) []byte {
	t.Helper()
	const head, tail = `{"service_id":"s","version":"v","instance":"i","index":1,"query_ms":1,` +
		`"users":[{"username":"alice","karma":42}],"padding":"`, `"}`
	b := []byte(head + strings.Repeat("x", size-len(head)-len(tail)) + tail)
	if len(b) != size || !json.Valid(b) {
		t.Fatalf("answerOfSize(%d) made %d bytes, valid JSON: %v", size, len(b), json.Valid(b))
	}
	return b
}

// serveAnswer is a stand-in for the service that answers body, 200, with
// its Content-Length.
func serveAnswer(t *testing.T, body []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body) // fails once the monolith stops reading and closes
	}))
	t.Cleanup(srv.Close)
	return srv
}

// countingConn counts the bytes read from a connection.
type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// fetchCounting fetches once from the service at url with the monolith's
// client and returns the outcome and how many bytes the client read from
// its connections to the service.
func fetchCounting(t *testing.T, url string) (Popularity, int64) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.PopularityURL = url
	c := newPopularityClient(cfg)
	defer c.close()
	tr := c.http.Transport.(*http.Transport)
	dial := tr.DialContext
	var read atomic.Int64
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{conn, &read}, nil
	}
	p := c.Fetch(context.Background(), "")
	return p, read.Load()
}

// TestPopularityAnswerLimitIsOneMiB: an answer of 1 MiB is shown, one of a
// byte more is the instance's error, not read on.
func TestPopularityAnswerLimitIsOneMiB(t *testing.T) {
	t.Parallel()
	p, _ := fetchCounting(t, serveAnswer(t, answerOfSize(t, answerLimit)).URL+"/")
	if p.Outcome != Answered || p.Reply == nil || len(p.Reply.Users) != 1 || p.Reply.Users[0].Username != "alice" {
		t.Errorf("an answer of exactly 1 MiB: %s, %q (%s), want alice's answer shown", p.Outcome, p.Problem, p.Detail)
	}
	p, _ = fetchCounting(t, serveAnswer(t, answerOfSize(t, answerLimit+1)).URL+"/")
	if p.Outcome != ServiceError || !strings.Contains(p.Problem, "too large to show") {
		t.Errorf("an answer of 1 MiB and 1 byte: %s, %q (%s), want it refused as too large to show", p.Outcome, p.Problem, p.Detail)
	}
}

// TestPopularityClientReadsAtMostTheLimit: of a 9 MiB answer the monolith
// reads from the connection no more than the limit, and a little slack:
// the response's head (the client allows 64 KiB of headers) and what is
// left of one fill of the transport's 4 KiB read buffer, then it hangs up.
// Not the rest, nor 8 MiB of it: the limit is what bounds the memory a
// call takes.
func TestPopularityClientReadsAtMostTheLimit(t *testing.T) {
	t.Parallel()
	const slack = 64<<10 + 4<<10
	p, read := fetchCounting(t, serveAnswer(t, answerOfSize(t, 9<<20)).URL+"/")
	if p.Outcome != ServiceError || !strings.Contains(p.Problem, "too large to show") {
		t.Errorf("an answer of 9 MiB: %s, %q (%s), want it refused as too large to show", p.Outcome, p.Problem, p.Detail)
	}
	t.Logf("the monolith read %d bytes of a 9 MiB answer: the limit and %d", read, read-answerLimit)
	if read <= answerLimit || read > answerLimit+1+slack {
		t.Errorf("the monolith read %d bytes of a 9 MiB answer, want over 1 MiB (%d) and at most %d", read, answerLimit, answerLimit+1+slack)
	}
}
