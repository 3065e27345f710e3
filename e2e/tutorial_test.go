// Package e2e replays the demo's tutorial (../shared/seed/microservices-in-action.md)
// on real Nomad, Consul and Envoy, with svctl as a user runs it.
package e2e

import (
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"microwizard/internal/svctl/record"

	"microwizard/internal/tutorial"
	"microwizard/lobsters/seed"
)

// TestTutorial follows the seed tutorial step by step, in the tutorial
// routing profile (round robin, as the original).
func TestTutorial(t *testing.T) {
	c := newCluster(t, seed.Default)

	t.Log("step 1: no service deployed: /popular says NO SERVICES AVAILABLE")
	if p := c.popular(); !p.NoService || p.Users != 0 {
		t.Fatalf("with no instance /popular shows %v, want NO SERVICES AVAILABLE and no users", p)
	}

	t.Log("step 2: three lobpop_v1 instances from UNCOMMITTED_COPY; each run leaves the others alone")
	var before []string
	for i := 0; i < 3; i++ {
		out := c.svctl("run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
		if !strings.Contains(out, "is healthy in Consul") {
			t.Fatalf("svctl run did not report a healthy instance:\n%s", out)
		}
		now := c.instances()
		if len(now) != i+1 {
			t.Fatalf("after run %d: %d instances, want %d", i+1, len(now), i+1)
		}
		for _, id := range before {
			if !hasRunningAlloc(now, id) {
				t.Fatalf("run %d touched allocation %s of an earlier run: %+v", i+1, id, now)
			}
		}
		before = allocIDs(now)
	}

	t.Log("step 3: /popular is answered by all three")
	c.waitFor("all three instances answering", 30*time.Second, func() bool {
		return len(c.answering(12)) == 3
	})
	// The mesh's spread, on Nomad: each instance serves at least a fifth.
	seen := c.answering(300)
	if len(seen) != 3 {
		t.Fatalf("300 requests were answered by %d instances (%v), want 3", len(seen), seen)
	}
	for inst, n := range seen {
		if n < 60 {
			t.Fatalf("instance %s answered %d of 300 requests, want at least 20 %%: %v", record.ShortID(inst), n, seen)
		}
	}

	t.Log("step 5: swap the two query lines, uncommitted, and run one lobpop_v2")
	if err := tutorial.MakeSlowIn(c.repo); err != nil {
		t.Fatal(err)
	}
	out := c.svctl("run", "lobsters-popularity", "lobpop_v2", "UNCOMMITTED_COPY")
	if !strings.Contains(out, "with uncommitted changes") {
		t.Fatalf("svctl did not say it copied uncommitted changes:\n%s", out)
	}
	if got := len(c.instances()); got != 4 {
		t.Fatalf("%d instances after lobpop_v2, want 4", got)
	}

	t.Log("step 6: some /popular loads are slow, served by lobpop_v2; other pages stay fast meanwhile")
	var slow, fast []page
	for i := 0; i < 16 && len(slow) < 2; i++ {
		p, others := c.popularWhileBrowsing()
		if !p.ok() {
			t.Fatalf("request %d failed: %v", i, p)
		}
		if p.Version == "lobpop_v2" {
			slow = append(slow, p)
			for _, o := range others {
				if o.Err != nil || o.Status != 200 || o.Took >= p.Took {
					t.Fatalf("while lobpop_v2 took %s, another page was %v", p.Took, o)
				}
			}
		} else {
			fast = append(fast, p)
		}
	}
	if len(slow) == 0 || len(fast) == 0 {
		t.Fatalf("round robin over four instances gave %d lobpop_v2 and %d lobpop_v1 answers in 16 requests", len(slow), len(fast))
	}
	if m := median(fast); slow[0].Took < 5*m {
		t.Fatalf("lobpop_v2 answered in %s, not clearly slower than lobpop_v1's median %s", slow[0].Took, m)
	}
	t.Logf("lobpop_v1 median %s; lobpop_v2 %s", median(fast), slow[0].Took)

	t.Log("step 8: svctl stop lobpop_v2 while /popular is loaded: no request fails")
	stopErr := make(chan error, 1)
	var during []page
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stopErr:
				return
			default:
			}
			p := c.popular()
			mu.Lock()
			during = append(during, p)
			mu.Unlock()
		}
	}()
	out, err := c.try(filepath.Join(c.bin, "svctl"), "stop", "lobpop_v2")
	close(stopErr)
	<-done
	if err != nil {
		t.Fatalf("svctl stop lobpop_v2: %v\n%s", err, out)
	}
	for _, p := range during {
		if !p.ok() {
			t.Fatalf("a request failed while lobpop_v2 stopped: %v", p)
		}
	}
	t.Logf("%d requests during the stop, none failed", len(during))

	t.Log("step 9: all loads come from lobpop_v1 again")
	for i := 0; i < 12; i++ {
		if p := c.popular(); !p.ok() || p.Version != "lobpop_v1" {
			t.Fatalf("after stopping lobpop_v2: %v", p)
		}
	}
	if got := len(c.instances()); got != 3 {
		t.Fatalf("%d instances after stop, want 3", got)
	}

	t.Log("step 10: lobpop_v2 again, private: only loads that name it reach it")
	out = c.svctl("run", "-private", "lobsters-popularity", "lobpop_v2", "UNCOMMITTED_COPY")
	if !strings.Contains(out, "lobpop_v2 is private") {
		t.Fatalf("svctl run -private did not say lobpop_v2 is private:\n%s", out)
	}
	// Healthy in Consul, it reaches the monolith's Envoy a moment later;
	// until then a load naming it is answered by the shared versions.
	mine := baggageClient("svctl-version=lobpop_v2")
	c.waitFor("lobpop_v2 answering loads that name it", 30*time.Second, func() bool {
		return fetchPage(mine, c.web+"/popular").Version == "lobpop_v2"
	})
	for i := 0; i < 12; i++ {
		if p := c.popular(); !p.ok() || p.Version != "lobpop_v1" {
			t.Fatalf("a plain load with lobpop_v2 private: %v", p)
		}
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Timeout: 60 * time.Second, Jar: jar}
	if p := fetchPage(browser, c.web+"/popular"); !p.ok() || p.Version != "lobpop_v1" {
		t.Fatalf("a browser that chose nothing: %v", p)
	}
	chooseOnConfirmationPage(t, browser, c.web, "/popular?svctl-version=lobpop_v2")
	if p := fetchPage(browser, c.web+"/popular"); !p.ok() || p.Version != "lobpop_v2" {
		t.Fatalf("/popular in a browser that chose lobpop_v2 on its confirmation page: %v", p)
	}
	if p := fetchPage(mine, c.web+"/popular"); !p.ok() || p.Version != "lobpop_v2" {
		t.Fatalf("a load with the baggage member svctl-version=lobpop_v2: %v", p)
	}
	if p := fetchPage(browser, c.web+"/popular?svctl-version="); !p.ok() || p.Version != "lobpop_v1" {
		t.Fatalf("after clear, the browser got %v, want lobpop_v1", p)
	}
	out = c.svctl("stop", "lobpop_v2")
	if !strings.Contains(out, "removed the personal route of lobpop_v2") {
		t.Fatalf("svctl stop lobpop_v2 did not remove its personal route:\n%s", out)
	}
}

// answering returns the instances that answered n /popular requests.
func (c *cluster) answering(n int) map[string]int {
	seen := map[string]int{}
	for i := 0; i < n; i++ {
		if p := c.popular(); p.ok() {
			seen[p.Instance]++
		}
	}
	return seen
}

// popularWhileBrowsing loads /popular and, while it is in flight, the front
// page, /newest and a profile.
func (c *cluster) popularWhileBrowsing() (page, []page) {
	res := make(chan page, 1)
	go func() { res <- c.popular() }()
	time.Sleep(100 * time.Millisecond)
	var others []page
	for _, path := range []string{"/", "/newest", "/u/" + c.someUser()} {
		others = append(others, fetchPage(c.client, c.web+path))
	}
	return <-res, others
}

func (c *cluster) someUser() string {
	var name string
	if err := c.db.QueryRow(`SELECT username FROM users ORDER BY id LIMIT 1`).Scan(&name); err != nil {
		c.t.Fatal(err)
	}
	return name
}

func hasRunningAlloc(rows []deployRow, id string) bool {
	for _, r := range rows {
		if r.AllocID == id && r.NomadStatus == "running" {
			return true
		}
	}
	return false
}

func allocIDs(rows []deployRow) []string {
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.AllocID)
	}
	return ids
}

func median(ps []page) time.Duration {
	ds := make([]time.Duration, len(ps))
	for i, p := range ps {
		ds[i] = p.Took
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}
