package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// newClient is a reader's browser for conc parallel readers: keep-alive, and
// a timeout longer than the monolith's (20 s).
func newClient(conc int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        4 * conc,
			MaxIdleConnsPerHost: 2 * conc,
			IdleConnTimeout:     30 * time.Second,
		},
	}
}

// sample is one request: how long it took and whether it failed.
type sample struct {
	took        time.Duration
	failed      bool
	cause       string // why it failed: the page's problem, or the error
	slowVersion bool   // /popular answered by lobpop_v2
}

// load runs n requests made by do, conc at a time, and returns them in the
// order they finished. It stops early when ctx ends.
func load(ctx context.Context, n, conc int, do func(ctx context.Context, k int) sample) ([]sample, error) {
	var (
		mu   sync.Mutex
		out  = make([]sample, 0, n)
		next = 0
		wg   sync.WaitGroup
	)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				k := next
				next++
				mu.Unlock()
				if k >= n {
					return
				}
				s := do(ctx, k)
				mu.Lock()
				out = append(out, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return out, fmt.Errorf("stopped after %d of %d requests: %w", len(out), n, err)
	}
	return out, nil
}

// getOK fetches url and says whether a complete 200 arrived.
func getOK(ctx context.Context, client *http.Client, url string) sample {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return sample{failed: true}
	}
	resp, err := client.Do(req)
	if err != nil {
		return sample{took: time.Since(start), failed: true}
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return sample{took: time.Since(start), failed: err != nil || resp.StatusCode != http.StatusOK}
}

// stats sums up samples.
type stats struct {
	n, failed, over int            // over: took longer than the threshold given to summarize
	bySlow          int            // answered by lobpop_v2
	causes          map[string]int // of the failures, by cause
	p50, p99        time.Duration
}

// summarize returns the count, failures, those over threshold, p50 and p99.
func summarize(ss []sample, threshold time.Duration) stats {
	st := stats{n: len(ss)}
	d := make([]time.Duration, 0, len(ss))
	for _, s := range ss {
		if s.failed {
			st.failed++
			if s.cause != "" {
				if st.causes == nil {
					st.causes = map[string]int{}
				}
				st.causes[s.cause]++
			}
		}
		if threshold > 0 && s.took > threshold {
			st.over++
		}
		if s.slowVersion {
			st.bySlow++
		}
		d = append(d, s.took)
	}
	slices.Sort(d)
	st.p50, st.p99 = percentile(d, 50), percentile(d, 99)
	return st
}

// causesText says why loads failed: "3 × cause; 1 × other".
func (st stats) causesText() string {
	var parts []string
	for _, c := range slices.Sorted(maps.Keys(st.causes)) {
		parts = append(parts, fmt.Sprintf("%d × %s", st.causes[c], c))
	}
	return strings.Join(parts, "; ")
}

// percentile returns the p-th percentile of sorted d (nearest rank).
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	rank := (p*len(d) + 99) / 100 // ceil(p/100 * n)
	return d[max(rank, 1)-1]
}

// share is st.over as a percentage of st.n.
func (st stats) share() float64 {
	if st.n == 0 {
		return 0
	}
	return 100 * float64(st.over) / float64(st.n)
}
