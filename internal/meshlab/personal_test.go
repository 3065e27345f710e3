package meshlab_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"microwizard/internal/meshlab"
	"microwizard/internal/svctl/mesh"
	"microwizard/internal/testenv/chromiumtest"
	lobreader "microwizard/lobsters/reader"
	"microwizard/lobsters/seed"
)

// withBaggage is a client whose requests carry the baggage header value.
func withBaggage(value string) *http.Client {
	return &http.Client{Timeout: client.Timeout, Transport: baggageTransport(value)}
}

type baggageTransport string

func (b baggageTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Baggage", string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// loads fetches /popular n times, conc at a time, and counts the answers by
// version. Every load must be a complete page.
func loads(t *testing.T, lab *meshlab.Lab, c *http.Client, n, conc int) map[string]int {
	t.Helper()
	var (
		mu     sync.Mutex
		byV    = map[string]int{}
		failed []string
		wg     sync.WaitGroup
		next   = make(chan int)
	)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				p, err := lab.Get(context.Background(), c, "/popular")
				mu.Lock()
				switch {
				case err != nil:
					failed = append(failed, err.Error())
				case !p.PopularOK():
					failed = append(failed, p.String())
				default:
					byV[p.Version]++
				}
				mu.Unlock()
			}
		}()
	}
	for k := 0; k < n; k++ {
		next <- k
	}
	close(next)
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d of %d loads failed, the first: %s", len(failed), n, failed[0])
	}
	return byV
}

// TestPersonalVersion: three shared instances of lobpop_v1, one private,
// slow lobpop_v2 and one private, fast lobpop_v3. Under both profiles, plain
// requests never reach a private version and requests whose baggage names it
// (alone, or among other members) always do. (Under resilient every try is
// cut at the per-try timeout, the slow version's too: its private routing is
// shown with the fast lobpop_v3.) Promoted, plain requests reach it too;
// demoted, no longer. Once its instance is gone, requests naming it are
// served by the shared versions.
func TestPersonalVersion(t *testing.T) {
	lab := newLab(t, seed.Small)
	ctx := context.Background()
	addInstances(t, lab, 3, "lobpop_v1", lab.EfficientBinary())
	slowBin, err := lab.SlowBinary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// As svctl run --private: out of general rotation before they start.
	for _, v := range []string{"lobpop_v2", "lobpop_v3"} {
		if err := lab.SetMode(ctx, v, mesh.Private); err != nil {
			t.Fatal(err)
		}
	}
	private := addInstances(t, lab, 1, "lobpop_v2", slowBin)[0]
	addInstances(t, lab, 1, "lobpop_v3", lab.EfficientBinary())

	plain := client
	mine := withBaggage("svctl-version=lobpop_v2")
	for profile, v := range map[string]string{"tutorial": "lobpop_v2", "resilient": "lobpop_v3"} {
		if err := lab.SetProfile(ctx, profile); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		got := loads(t, lab, plain, 300, 8)
		t.Logf("%s: 300 plain loads in %s: %v", profile, time.Since(start).Round(time.Millisecond), got)
		if got["lobpop_v1"] != 300 {
			t.Errorf("%s: plain loads reached %v, want all 300 on lobpop_v1 and none on the private versions", profile, got)
		}
		// The slow version is loaded one request at a time, as its
		// developer would: several at once find its one connection busy,
		// and it says so (popularity: the bounded wait).
		n, conc := 300, 4
		if v == "lobpop_v2" {
			n, conc = 60, 1
		}
		start = time.Now()
		got = loads(t, lab, withBaggage("svctl-version="+v), n, conc)
		t.Logf("%s: %d loads naming %s in %s: %v", profile, n, v, time.Since(start).Round(time.Millisecond), got)
		if got[v] != n {
			t.Errorf("%s: loads whose baggage names %s reached %v, want all %d on it", profile, v, got, n)
		}
		amid := withBaggage("userId=alice, svctl-version=" + v + ";ttl=60 , isProduction=false")
		if got := loads(t, lab, amid, 20, conc); got[v] != 20 {
			t.Errorf("%s: loads whose baggage names %s among other members reached %v, want all 20 on it", profile, v, got)
		}
	}

	// Promoted: in the tutorial's round robin with the others.
	if err := lab.SetProfile(ctx, "tutorial"); err != nil {
		t.Fatal(err)
	}
	if err := lab.SetMode(ctx, "lobpop_v2", mesh.Shared); err != nil {
		t.Fatal(err)
	}
	got := loads(t, lab, plain, 60, 4)
	t.Logf("promoted: 60 plain loads: %v", got)
	if got["lobpop_v2"] == 0 {
		t.Errorf("after promote, plain loads reached %v, want some on lobpop_v2", got)
	}
	if err := lab.SetMode(ctx, "lobpop_v2", mesh.Private); err != nil {
		t.Fatal(err)
	}
	if got := loads(t, lab, plain, 60, 4); got["lobpop_v2"] != 0 {
		t.Errorf("after demote, plain loads reached %v, want none on lobpop_v2", got)
	}

	// Its instance gone, loads naming it fall back to the shared versions.
	if err := private.Stop(); err != nil {
		t.Fatal(err)
	}
	got = loads(t, lab, mine, 30, 4)
	t.Logf("lobpop_v2 stopped: 30 loads naming it: %v", got)
	if got["lobpop_v1"] != 30 {
		t.Errorf("with lobpop_v2 stopped, loads naming it reached %v, want all 30 on lobpop_v1", got)
	}
	page, err := lab.Get(ctx, mine, "/popular")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the page with lobpop_v2 gone: %s", page)
	if err := lab.Forget(ctx, "lobpop_v2"); err != nil {
		t.Fatal(err)
	}
	if got := loads(t, lab, mine, 20, 4); got["lobpop_v1"] != 20 {
		t.Errorf("with lobpop_v2's route removed, loads naming it reached %v, want all 20 on lobpop_v1", got)
	}
}

// TestPersonalVersionInABrowser: in Chromium, ?svctl-version=lobpop_v2 on
// /popular opens the confirmation page (the link alone chooses nothing);
// its form, posted as the browser would, chooses lobpop_v2, whose instance
// then answers through the real mesh, the cookie keeping it; the banner's
// clear link returns to the shared version. Screenshots are saved.
func TestPersonalVersionInABrowser(t *testing.T) {
	b := chromiumtest.New(t)
	b.KeepProfile()
	lab := newLab(t, seed.Small)
	ctx := context.Background()
	shared := addInstances(t, lab, 1, "lobpop_v1", lab.EfficientBinary())[0]
	if err := lab.SetMode(ctx, "lobpop_v2", mesh.Private); err != nil {
		t.Fatal(err)
	}
	private := addInstances(t, lab, 1, "lobpop_v2", lab.EfficientBinary())[0]

	text := b.Visit(lab.MonolithURL()+"/popular", "mesh-plain")
	wantInOrder(t, text, "Service ID: lobpop_v1 · instance "+shared.AllocID)
	text = b.Visit(lab.MonolithURL()+"/popular?svctl-version=lobpop_v2", "mesh-private-confirm")
	wantInOrder(t, text, "Choose the personal version lobpop_v2?", "meshlab", "Choose lobpop_v2")
	text = b.Visit(lab.MonolithURL()+"/popular", "mesh-private-not-chosen")
	wantInOrder(t, text, "Service ID: lobpop_v1 · instance "+shared.AllocID)

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	reader := &http.Client{Jar: jar}
	page := getPage(t, reader, lab.MonolithURL()+"/popular?svctl-version=lobpop_v2")
	action, form, ok := lobreader.ConfirmForm(page)
	if !ok {
		t.Fatalf("no confirmation form:\n%s", chromiumtest.VisibleText(page))
	}
	resp, err := reader.PostForm(lab.MonolithURL()+action, form)
	if err != nil {
		t.Fatal(err)
	}
	chosen, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantInOrder(t, chromiumtest.VisibleText(string(chosen)), "viewing lobpop_v2 · clear", "Service ID: lobpop_v2 · instance "+private.AllocID)
	page = getPage(t, reader, lab.MonolithURL()+"/popular")
	wantInOrder(t, chromiumtest.VisibleText(page), "viewing lobpop_v2 · clear", "Service ID: lobpop_v2 · instance "+private.AllocID)

	clear := clearRE.FindStringSubmatch(page)
	if clear == nil {
		t.Fatalf("no clear link on the page:\n%s", page)
	}
	text = chromiumtest.VisibleText(getPage(t, reader, lab.MonolithURL()+html.UnescapeString(clear[1])))
	wantInOrder(t, text, "Service ID: lobpop_v1 · instance "+shared.AllocID)
	if strings.Contains(text, "viewing") {
		t.Errorf("after clear the page still shows the banner:\n%s", text)
	}
}

// getPage GETs url with client and returns the body.
func getPage(t *testing.T, client *http.Client, url string) string {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// clearRE finds the banner's clear link.
var clearRE = regexp.MustCompile(`<a[^>]*href="([^"]*svctl-version=[^"]*)"[^>]*>\s*clear\s*</a>`)

// wantInOrder fails the test unless each of want appears in text, in order.
func wantInOrder(t *testing.T, text string, want ...string) {
	t.Helper()
	rest := text
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("%q not found (in order %q) in the page:\n%s", w, want, text)
		}
		rest = rest[i+len(w):]
	}
}
