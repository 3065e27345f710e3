package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sync"
	"time"

	"microwizard/internal/meshlab"
	"microwizard/internal/svctl/mesh"
	"microwizard/lobsters/reader"
)

// What counts as a slow /popular load, and the pauses between runs.
const (
	slowThreshold = time.Second
	settle        = 2 * time.Second // lets in-flight work end between runs
	floodWarmup   = 5 * time.Second // lets the flood pile up on the slow instance
	otherPagesN   = 200
	browsePace    = 50 * time.Millisecond // 200 loads: about 10 s, so some slow loads of the flood end meanwhile
)

// bench runs the measurements on a lab.
type bench struct {
	lab    *meshlab.Lab
	cfg    config
	logf   func(string, ...any)
	client *http.Client
}

// privateVersion is a private version run beside the others while the
// resilient profile is measured; no plain load may reach it.
const privateVersion = "lobpop_mine"

// measure fills r. With three lobpop_v1 instances: /popular's latency with
// and without the mesh. With a lobpop_v2 beside them: the slow share under
// the tutorial profile. With lobpop_v2 alone, so that every /popular is slow:
// other pages idle and while /popular is flooded. With three lobpop_v1 again:
// the slow share under the resilient profile, just switched live and once the
// monolith's connections from before the switch are gone, with a private
// version (personal routing) beside them.
//
// The flood runs before the switch to resilient: a live switch back would
// leave the monolith's connections on the resilient listener.
func (b *bench) measure(ctx context.Context, r *results) error {
	fast, err := b.addFast(ctx)
	if err != nil {
		return err
	}
	others, err := b.otherPages(ctx)
	if err != nil {
		return err
	}
	if err := b.latency(ctx, fast, r); err != nil {
		return err
	}

	slowBin, err := b.lab.SlowBinary(ctx)
	if err != nil {
		return err
	}
	slow, err := b.lab.AddInstance(ctx, "lobpop_v2", slowBin)
	if err != nil {
		return err
	}
	r.slowAlone = getOK(ctx, b.client, slow.URL).took
	b.logf("lobpop_v2 by itself: %s", r.slowAlone.Round(time.Millisecond))

	if err := b.shareRun(ctx, r, "tutorial", "tutorial", false); err != nil {
		return err
	}
	if err := b.flood(ctx, fast, others, r); err != nil {
		return err
	}
	if _, err := b.addFast(ctx); err != nil {
		return err
	}
	// Personal routing configured, as a developer's private version makes
	// it: the resilient figures hold with the routes and subsets it adds.
	if err := b.lab.SetMode(ctx, privateVersion, mesh.Private); err != nil {
		return err
	}
	if _, err := b.lab.AddInstance(ctx, privateVersion, b.lab.EfficientBinary()); err != nil {
		return err
	}
	if err := b.shareRun(ctx, r, "resilient, just switched live", "resilient", false); err != nil {
		return err
	}
	return b.shareRun(ctx, r, "resilient, connections renewed", "resilient", true)
}

// addFast adds three lobpop_v1 instances.
func (b *bench) addFast(ctx context.Context) ([]*meshlab.Instance, error) {
	var fast []*meshlab.Instance
	for k := 0; k < 3; k++ {
		i, err := b.lab.AddInstance(ctx, "lobpop_v1", b.lab.EfficientBinary())
		if err != nil {
			return nil, err
		}
		fast = append(fast, i)
	}
	return fast, nil
}

// shareRun switches to profile, live, waits -idle-wait first if idleFirst,
// and measures the slow share sequentially and at -conc.
func (b *bench) shareRun(ctx context.Context, r *results, label, profile string, idleFirst bool) error {
	if err := b.lab.SetProfile(ctx, profile); err != nil {
		return err
	}
	if idleFirst {
		// The monolith closes connections idle for a minute; new ones get
		// the listener configuration of the profile now applied.
		b.logf("  no traffic for %s: the monolith's connections from before the switch close", b.cfg.idleWait)
		select {
		case <-time.After(b.cfg.idleWait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	b.logf("profile %s", label)
	pr := profileResult{name: label, profile: profile}
	before, err := b.lab.UpstreamRequests(ctx)
	if err != nil {
		return err
	}
	if pr.seq, err = b.popular(ctx, b.cfg.seq, 1); err != nil {
		return err
	}
	mid, err := b.lab.UpstreamRequests(ctx)
	if err != nil {
		return err
	}
	pause(ctx)
	if pr.conc, err = b.popular(ctx, b.cfg.concRequests, b.cfg.conc); err != nil {
		return err
	}
	after, err := b.lab.UpstreamRequests(ctx)
	if err != nil {
		return err
	}
	pr.seqListeners, pr.concListeners = delta(before, mid), delta(mid, after)
	pause(ctx)
	r.profiles = append(r.profiles, pr)
	return nil
}

// flood stops the lobpop_v1 instances, so that every /popular is served by
// lobpop_v2 (tutorial profile: no per-try timeout, slow answers), and measures
// the other pages idle, then while -flood-conc readers load /popular without
// pause: that many slow requests are always in flight.
func (b *bench) flood(ctx context.Context, fast []*meshlab.Instance, others []string, r *results) error {
	b.logf("stopping the lobpop_v1 instances: every /popular is slow from now on")
	errs := make(chan error, len(fast))
	for _, i := range fast {
		go func() { errs <- i.Stop() }()
	}
	for range fast {
		if err := <-errs; err != nil {
			return err
		}
	}
	pause(ctx)
	var err error
	b.logf("  other pages, idle")
	if r.idle, err = b.browse(ctx, others, otherPagesN); err != nil {
		return err
	}
	b.logf("  other pages while /popular is flooded at concurrency %d", b.cfg.floodConc)
	fctx, stop := context.WithCancel(ctx)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		flood []sample
	)
	for w := 0; w < b.cfg.floodConc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for fctx.Err() == nil {
				p, err := b.lab.Get(fctx, b.client, "/popular")
				if fctx.Err() != nil {
					return // cut short by the end of the flood: not counted
				}
				mu.Lock()
				flood = append(flood, sample{took: p.Took, failed: err != nil || !p.PopularOK()})
				mu.Unlock()
			}
		}()
	}
	select {
	case <-time.After(floodWarmup):
	case <-ctx.Done():
	}
	r.flooded, err = b.browse(ctx, others, otherPagesN)
	stop()
	wg.Wait()
	r.flood = summarize(flood, slowThreshold)
	return err
}

// failureCause says why a /popular load was not a complete page: the
// notice the page showed, NO SERVICES AVAILABLE, or the reader's error.
func failureCause(p reader.Page, err error) string {
	switch {
	case err != nil:
		return err.Error()
	case p.PopularOK():
		return ""
	case p.NoService:
		return "NO SERVICES AVAILABLE"
	case p.Problem != "":
		return fmt.Sprintf("%q after %s", p.Problem, p.Took.Round(100*time.Millisecond))
	}
	return fmt.Sprintf("status %d", p.Status)
}

// popular loads /popular n times, conc at a time, and counts the loads over
// a second and those that failed (not a complete page).
func (b *bench) popular(ctx context.Context, n, conc int) (stats, error) {
	b.logf("  %d /popular loads at concurrency %d", n, conc)
	ss, err := load(ctx, n, conc, func(ctx context.Context, _ int) sample {
		p, err := b.lab.Get(ctx, b.client, "/popular")
		return sample{took: p.Took, failed: err != nil || !p.PopularOK(), cause: failureCause(p, err), slowVersion: p.Version == "lobpop_v2"}
	})
	return summarize(ss, slowThreshold), err
}

// browse loads the pages in turn, n loads in all, a reader's click every
// browsePace: the load itself stays light.
func (b *bench) browse(ctx context.Context, pages []string, n int) (stats, error) {
	ss, err := load(ctx, n, 1, func(ctx context.Context, k int) sample {
		s := getOK(ctx, b.client, b.lab.MonolithURL()+pages[k%len(pages)])
		select {
		case <-time.After(browsePace):
		case <-ctx.Done():
		}
		return s
	})
	return summarize(ss, 0), err
}

// latency measures /popular's own cost three ways, at concurrency 1 and -conc:
// the service called directly (round the three instances), through the
// monolith's Envoy upstream and the instances' Envoys (no monolith), and the
// monolith's /popular through the mesh.
// latencyLevels are the concurrencies /popular's latency is measured at, to
// show how its cost grows.
var latencyLevels = [4]int{1, 4, 16, 64}

func (b *bench) latency(ctx context.Context, fast []*meshlab.Instance, r *results) error {
	upstream := b.lab.UpstreamURL("lobsters-popularity")
	paths := []func(ctx context.Context, k int) sample{
		func(ctx context.Context, k int) sample { return getOK(ctx, b.client, fast[k%len(fast)].URL) },
		func(ctx context.Context, _ int) sample { return getOK(ctx, b.client, upstream) },
		func(ctx context.Context, _ int) sample {
			p, err := b.lab.Get(ctx, b.client, "/popular")
			return sample{took: p.Took, failed: err != nil || !p.PopularOK()}
		},
	}
	// Warm every path up: connections, prepared statements, caches.
	for _, do := range paths {
		if _, err := load(ctx, 30, 1, do); err != nil {
			return err
		}
	}
	for k, do := range paths {
		for c, conc := range latencyLevels {
			b.logf("  latency: path %d of 3, concurrency %d", k+1, conc)
			ss, err := load(ctx, b.cfg.latencyN, conc, do)
			if err != nil {
				return err
			}
			r.latency[k][c] = summarize(ss, 0)
		}
	}
	return nil
}

var (
	storyLinkRE = regexp.MustCompile(`href="(/s/[^"]+)"`)
	userLinkRE  = regexp.MustCompile(`href="(/u/[^"]+)"`)
)

// otherPages are pages that do not call the service: the front page, the
// newest stories, and the first story and user the front page links to.
func (b *bench) otherPages(ctx context.Context) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.lab.MonolithURL()+"/", nil)
	if err != nil {
		return nil, err
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("front page: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("front page: %w", err)
	}
	pages := []string{"/", "/newest"}
	for _, re := range []*regexp.Regexp{storyLinkRE, userLinkRE} {
		m := re.FindSubmatch(body)
		if m == nil {
			return nil, fmt.Errorf("the front page links to no %s page", re)
		}
		pages = append(pages, string(m[1]))
	}
	return pages, nil
}

// delta returns the counts of after that grew since before.
func delta(before, after map[string]uint64) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// pause waits for settle, or less if ctx ends.
func pause(ctx context.Context) {
	select {
	case <-time.After(settle):
	case <-ctx.Done():
	}
}
