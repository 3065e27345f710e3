package lobsters_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stalledService is a popularity service that holds every request until
// released, like the slow version of the service.
type stalledService struct {
	*httptest.Server
	release chan struct{}
	arrived chan struct{}
	once    sync.Once
}

func newStalledService(t *testing.T) *stalledService {
	s := &stalledService{release: make(chan struct{}), arrived: make(chan struct{}, 1000)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.arrived <- struct{}{}
		select {
		case <-s.release:
			serveJSON(http.StatusOK, v1Reply)(w, r)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() {
		s.Release()
		s.Close()
	})
	return s
}

// Release lets every held request answer.
func (s *stalledService) Release() { s.once.Do(func() { close(s.release) }) }

// While many /popular requests wait on a stalled service, the other pages
// still answer: only /popular depends on the service.
func TestOtherPagesAnswerWhilePopularIsStalled(t *testing.T) {
	t.Parallel()
	const held = 50
	const bound = 5 * time.Second // correctness, not a benchmark

	svc := newStalledService(t)
	srv, _ := newSite(t, svc.URL+"/")

	var wg sync.WaitGroup
	var answered atomic.Int64
	for range held {
		wg.Go(func() {
			resp, err := http.Get(srv.URL + "/popular")
			if err != nil {
				t.Errorf("held /popular: %v", err)
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err == nil && resp.StatusCode == http.StatusOK && strings.Contains(string(b), "carol") {
				answered.Add(1)
			}
		})
	}
	// Wait until every /popular request is held by the service.
	deadline := time.After(30 * time.Second)
	for i := range held {
		select {
		case <-svc.arrived:
		case <-deadline:
			t.Fatalf("only %d of %d /popular requests reached the service", i, held)
		}
	}

	client := &http.Client{Timeout: bound}
	for _, p := range []string{"/", "/newest", "/u/alice", "/s/rust01"} {
		start := time.Now()
		resp, err := client.Get(srv.URL + p)
		if err != nil {
			t.Errorf("GET %s while %d /popular requests are held: %v", p, held, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d while /popular is held, want 200", p, resp.StatusCode)
		}
		t.Logf("GET %s answered in %s with %d /popular requests held", p, time.Since(start).Round(time.Millisecond), held)
	}

	svc.Release()
	wg.Wait()
	if n := answered.Load(); n != held {
		t.Errorf("%d of %d held /popular requests showed the users once released", n, held)
	}
}
