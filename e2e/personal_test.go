package e2e

import (
	"errors"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"microwizard/internal/tutorial"
	"microwizard/lobsters/reader"
	"microwizard/lobsters/seed"
)

// baggageClient is a client whose requests carry the baggage header value.
func baggageClient(value string) *http.Client {
	return &http.Client{Timeout: 60 * time.Second, Transport: baggageTransport(value)}
}

type baggageTransport string

func (b baggageTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Baggage", string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// versions loads /popular n times with client, conc at a time, and counts
// the answers by version; a failed load fails the test.
func (c *cluster) versions(client *http.Client, n, conc int) map[string]int {
	c.t.Helper()
	var (
		mu     sync.Mutex
		byV    = map[string]int{}
		failed []page
		wg     sync.WaitGroup
		next   = make(chan struct{})
	)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				p := fetchPage(client, c.web+"/popular")
				mu.Lock()
				if p.ok() {
					byV[p.Version]++
				} else {
					failed = append(failed, p)
				}
				mu.Unlock()
			}
		}()
	}
	for k := 0; k < n; k++ {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	if len(failed) > 0 {
		c.t.Fatalf("%d of %d loads failed, the first: %v", len(failed), n, failed[0])
	}
	return byV
}

// steadyLoad loads /popular at rate requests a second, taking the clients in
// turn, until finish, which waits for the loads in flight and returns them
// all.
type steadyLoad struct {
	stop  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	pages []page
}

func (c *cluster) loadAt(rate int, clients ...*http.Client) *steadyLoad {
	l := &steadyLoad{stop: make(chan struct{})}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for k := 0; ; k++ {
			select {
			case <-l.stop:
				return
			case <-tick.C:
			}
			client := clients[k%len(clients)]
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				p := fetchPage(client, c.web+"/popular")
				l.mu.Lock()
				l.pages = append(l.pages, p)
				l.mu.Unlock()
			}()
		}
	}()
	return l
}

func (l *steadyLoad) finish() []page {
	close(l.stop)
	l.wg.Wait()
	return l.pages
}

// noneFailed fails the test if a load of the run failed.
func noneFailed(t *testing.T, during string, pages []page) {
	t.Helper()
	for _, p := range pages {
		if !p.ok() {
			t.Fatalf("a load failed during %s: %v", during, p)
		}
	}
	t.Logf("%s: %d plain loads, none failed", during, len(pages))
}

// answeredOrBusy fails the test unless each load of a version that cannot
// keep up was answered, or told at once that the service is busy.
func answeredOrBusy(t *testing.T, during string, pages []page) {
	t.Helper()
	busy := 0
	for _, p := range pages {
		switch {
		case p.ok():
		case strings.Contains(p.Problem, "busy"):
			busy++
		default:
			t.Fatalf("a load naming the slow version during %s was neither answered nor told it is busy: %v", during, p)
		}
	}
	t.Logf("%s: %d loads naming the slow version at 25/s: %d answered, %d told it is busy", during, len(pages), len(pages)-busy, busy)
}

// svctlFails runs svctl expecting it to refuse, with exit status code and a
// message holding want.
func (c *cluster) svctlFails(code int, want string, args ...string) {
	c.t.Helper()
	out, err := c.try(filepath.Join(c.bin, "svctl"), args...)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != code || !strings.Contains(out, want) {
		c.t.Fatalf("svctl %s: %v, want exit status %d saying %q:\n%s", strings.Join(args, " "), err, code, want, out)
	}
}

// modes returns svctl ps's mode of each version.
func (c *cluster) modes() map[string]string {
	m := map[string]string{}
	for _, r := range c.instances() {
		m[r.Name] = r.Mode
	}
	return m
}

// TestPersonalVersionOnNomad: svctl run --private on real Nomad. Plain
// requests never reach the private version and requests whose baggage names
// it always do; promote and stop take effect live under 50 requests a second
// with no failed request; with it stopped, requests naming it get the
// shared version.
func TestPersonalVersionOnNomad(t *testing.T) {
	c := newCluster(t, seed.Small)
	for i := 0; i < 3; i++ {
		c.svctl("run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	}
	if err := tutorial.MakeSlowIn(c.repo); err != nil {
		t.Fatal(err)
	}
	out := c.svctl("run", "-private", "lobsters-popularity", "lobpop_v2", "UNCOMMITTED_COPY")
	if !strings.Contains(out, "lobpop_v2 is private") {
		t.Fatalf("svctl run -private did not say the version is private:\n%s", out)
	}
	if m := c.modes(); m["lobpop_v2"] != "private" || m["lobpop_v1"] != "shared" {
		t.Fatalf("svctl ps modes = %v, want lobpop_v2 private and lobpop_v1 shared", m)
	}

	mine := baggageClient("svctl-version=lobpop_v2")
	// Healthy in Consul, it reaches the monolith's Envoy a moment later.
	c.waitFor("lobpop_v2 answering loads that name it", 30*time.Second, func() bool {
		return fetchPage(mine, c.web+"/popular").Version == "lobpop_v2"
	})
	if got := c.versions(c.client, 300, 8); got["lobpop_v1"] != 300 {
		t.Fatalf("300 plain loads reached %v, want all on lobpop_v1", got)
	}
	// One at a time, as a developer loads their own version: the slow
	// version answers every one (together they would find it busy).
	if got := c.versions(mine, 60, 1); got["lobpop_v2"] != 60 {
		t.Fatalf("60 loads naming lobpop_v2 reached %v, want all on it", got)
	}
	amid := baggageClient("userId=alice,svctl-version=lobpop_v2;ttl=60, isProduction=false")
	if got := c.versions(amid, 20, 1); got["lobpop_v2"] != 20 {
		t.Fatalf("20 loads naming lobpop_v2 among other members reached %v, want all on it", got)
	}

	// Bad input changes nothing.
	c.svctlFails(2, "lobpop_v2 is private", "run", "lobsters-popularity", "lobpop_v2", "UNCOMMITTED_COPY")
	c.svctlFails(2, "already serves everyone", "run", "-private", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	c.svctlFails(1, "no running instances named", "promote", "lobpop_v9")
	c.svctlFails(2, "the only version of lobsters-popularity serving everyone", "demote", "lobpop_v1")
	if n := len(c.instances()); n != 4 {
		t.Fatalf("%d instances after the refused commands, want 4", n)
	}

	// The slow version cannot keep up with 25 loads a second of its own:
	// past its bounded wait for its one connection it answers busy at
	// once. Plain loads are retried elsewhere and never fail; loads naming
	// it are answered by it or told it is busy, never left waiting.
	plain, own := c.loadAt(25, c.client), c.loadAt(25, mine)
	time.Sleep(time.Second)
	out = c.svctl("promote", "lobpop_v2")
	time.Sleep(2 * time.Second)
	noneFailed(t, "svctl promote lobpop_v2", plain.finish())
	answeredOrBusy(t, "svctl promote lobpop_v2", own.finish())
	if !strings.Contains(out, "lobpop_v2 is shared") {
		t.Fatalf("svctl promote said:\n%s", out)
	}
	if m := c.modes(); m["lobpop_v2"] != "shared" {
		t.Fatalf("svctl ps modes after promote = %v, want lobpop_v2 shared", m)
	}
	if got := c.versions(c.client, 60, 4); got["lobpop_v2"] == 0 {
		t.Fatalf("after promote, 60 plain loads reached %v, want some on lobpop_v2", got)
	}

	plain, own = c.loadAt(25, c.client), c.loadAt(25, mine)
	time.Sleep(time.Second)
	out = c.svctl("stop", "lobpop_v2")
	noneFailed(t, "svctl stop lobpop_v2", plain.finish())
	answeredOrBusy(t, "svctl stop lobpop_v2", own.finish())
	if !strings.Contains(out, "removed the personal route of lobpop_v2") {
		t.Fatalf("svctl stop did not remove the personal route:\n%s", out)
	}
	if got := c.versions(mine, 30, 4); got["lobpop_v1"] != 30 {
		t.Fatalf("with lobpop_v2 stopped, 30 loads naming it reached %v, want all on lobpop_v1", got)
	}
}

// TestAPrivateVersionFailsClosed: a teammate (or Terraform, or a GitOps
// job) applies every file of envoy/ with `consul config write`, twice,
// over the routing of a private version and of a version run shared and
// demoted since. The instances of both are marked private in their own
// service meta (the demoted one in place, by demote: not restarted), and
// the files' resolver sends plain requests only to instances not so
// marked: no plain load reaches either, and ps still calls both private.
func TestAPrivateVersionFailsClosed(t *testing.T) {
	c := newCluster(t, seed.Small)
	c.svctl("run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	c.svctl("run", "-private", "lobsters-popularity", "mine_v2", "UNCOMMITTED_COPY")
	mine := baggageClient("svctl-version=mine_v2")
	c.waitFor("mine_v2 answering loads that name it", 30*time.Second, func() bool {
		return fetchPage(mine, c.web+"/popular").Version == "mine_v2"
	})

	c.svctl("run", "lobsters-popularity", "lobpop_v3", "UNCOMMITTED_COPY")
	v3 := baggageClient("svctl-version=lobpop_v3")
	var before page
	c.waitFor("lobpop_v3 answering", 30*time.Second, func() bool {
		before = fetchPage(v3, c.web+"/popular")
		return before.Version == "lobpop_v3"
	})
	plain := c.loadAt(25, c.client)
	time.Sleep(time.Second)
	out := c.svctl("demote", "lobpop_v3")
	time.Sleep(2 * time.Second)
	noneFailed(t, "svctl demote lobpop_v3", plain.finish())
	if !strings.Contains(out, "lobpop_v3 is private") {
		t.Fatalf("svctl demote said:\n%s", out)
	}
	for _, r := range c.instances() {
		if r.Name == "lobpop_v3" && !r.MarkedPrivate {
			t.Fatalf("after demote, ps -json lists lobpop_v3's instance %s not marked private in Consul", r.AllocID)
		}
	}
	if after := fetchPage(v3, c.web+"/popular"); after.ServiceID != before.ServiceID || after.Instance != before.Instance {
		t.Fatalf("demote restarted lobpop_v3: it answered as %s · %s before and %s · %s after", before.Instance, before.ServiceID, after.Instance, after.ServiceID)
	}

	files, _ := filepath.Glob(filepath.Join(c.repo, "envoy", "*.hcl"))
	for _, dir := range []string{"setup", "profiles/tutorial"} {
		more, _ := filepath.Glob(filepath.Join(c.repo, "envoy", dir, "*.hcl"))
		files = append(files, more...)
	}
	if len(files) < 7 {
		t.Fatalf("found only %v under envoy/", files)
	}
	// The first round's resolver is refused (Consul will not drop subsets
	// the router still names); its router goes in, and the second round's
	// resolver then too, as the teammate saw: the files as they are.
	for round := 0; round < 2; round++ {
		for _, f := range files {
			_, _ = c.try("consul", "config", "write", f)
		}
	}
	if out := c.run("consul", "config", "read", "-kind", "service-resolver", "-name", "lobsters-popularity"); strings.Contains(out, "mine_v2") || strings.Contains(out, "v-mine") {
		t.Fatalf("the resolver still has mine_v2's routing after the files were applied:\n%s", out)
	}
	// The monolith's Envoy has the files' routing within a moment.
	time.Sleep(3 * time.Second)
	if got := c.versions(c.client, 100, 4); got["lobpop_v1"] != 100 {
		t.Fatalf("after the files were applied over them, 100 plain loads reached %v, want all on lobpop_v1", got)
	}
	if m := c.modes(); m["mine_v2"] != "private" || m["lobpop_v3"] != "private" || m["lobpop_v1"] != "shared" {
		t.Fatalf("svctl ps modes = %v, want mine_v2 and lobpop_v3 private and lobpop_v1 shared", m)
	}
	c.svctl("stop", "mine_v2")
	if got := c.versions(c.client, 20, 4); got["lobpop_v1"] != 20 {
		t.Fatalf("after mine_v2 stopped, 20 plain loads reached %v", got)
	}
}

// chooseOnConfirmationPage follows a ?svctl-version=NAME link as a reader
// does: the monolith's confirmation page (which chooses nothing by itself),
// then its form, with browser's cookies.
func chooseOnConfirmationPage(t *testing.T, browser *http.Client, web, path string) {
	t.Helper()
	resp, err := browser.Get(web + path)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	action, form, ok := reader.ConfirmForm(string(page))
	if resp.StatusCode != http.StatusOK || !ok {
		t.Fatalf("%s: %s, want the confirmation page and its form:\n%s", path, resp.Status, page)
	}
	resp, err = browser.PostForm(web+action, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("posting the confirmation form of %s: %s", path, resp.Status)
	}
}
