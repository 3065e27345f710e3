package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkTeamScale is a team's cluster at work, on the two-node cluster
// of scripts/cluster-up: 5 shared instances, and one developer's private
// version (the probe) run, listed, loaded and stopped with 1 private
// version on the cluster (the probe's own) and then with 20 (19 other
// developers' beside it). Each figure is the median of five probes (a new
// instance turns healthy at a random point of its check's 1 s interval). The
// Consul config-entry writes of each run and stop are counted by a proxy
// in front of Consul that svctl is pointed at: they must not grow with the
// number of versions.
func BenchmarkTeamScale(b *testing.B) {
	c := startMultiNode(b)
	writes := countConfigWrites(b, c)
	counted := c.shell // svctl's calls to Consul through the counting proxy
	counted.env = writes.env
	as := func(owner string) *shell { return counted.with("SVCTL_OWNER=" + owner) }
	svctl := c.bin + "/svctl"
	team := as("team@example.com")
	for i := 0; i < 5; i++ {
		team.run(svctl, "run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	}

	type probe struct {
		runS, cmdS, psS, stopS float64
		plainMS, personalMS    float64
		runWrites, stopWrite   int64
	}
	const trials = 5
	measure := func(scale int) probe {
		var ps []probe
		dev := as("probe@example.com")
		for trial := 0; trial < trials; trial++ {
			name := fmt.Sprintf("probe%d_at%d", trial, scale)
			var p probe
			before := writes.n.Load()
			start := time.Now()
			out := dev.run(svctl, "run", "-private", "lobsters-popularity", name, "UNCOMMITTED_COPY")
			p.cmdS = time.Since(start).Seconds()
			if trial == trials-1 {
				b.Logf("at %d, svctl run:\n%s", scale, out)
			}
			personal := baggageClient("svctl-version=" + name)
			c.waitFor(name+" answering loads that name it", 60*time.Second, func() bool {
				return fetchPage(personal, c.web+"/popular").Version == name
			})
			p.runS = time.Since(start).Seconds()
			p.runWrites = writes.n.Load() - before

			var lists []float64
			for i := 0; i < 5; i++ {
				start := time.Now()
				dev.run(svctl, "ps")
				lists = append(lists, time.Since(start).Seconds())
			}
			p.psS = median64(lists)
			p.plainMS = c.loadP50(b, c.client, "", 200)
			p.personalMS = c.loadP50(b, personal, name, 200)

			before = writes.n.Load()
			start = time.Now()
			dev.run(svctl, "stop", name)
			p.stopS = time.Since(start).Seconds()
			p.stopWrite = writes.n.Load() - before
			b.Logf("at %d, trial %d: run %.2fs (svctl %.2fs), ps %.3fs, stop %.2fs, p50 plain %.2fms personal %.2fms, writes run %d stop %d",
				scale, trial, p.runS, p.cmdS, p.psS, p.stopS, p.plainMS, p.personalMS, p.runWrites, p.stopWrite)
			ps = append(ps, p)
		}
		med := func(f func(probe) float64) float64 {
			var v []float64
			for _, p := range ps {
				v = append(v, f(p))
			}
			return median64(v)
		}
		return probe{
			runS: med(func(p probe) float64 { return p.runS }), cmdS: med(func(p probe) float64 { return p.cmdS }), psS: med(func(p probe) float64 { return p.psS }),
			stopS: med(func(p probe) float64 { return p.stopS }), plainMS: med(func(p probe) float64 { return p.plainMS }),
			personalMS: med(func(p probe) float64 { return p.personalMS }),
			runWrites:  int64(med(func(p probe) float64 { return float64(p.runWrites) })),
			stopWrite:  int64(med(func(p probe) float64 { return float64(p.stopWrite) })),
		}
	}

	at1 := measure(1)
	b.Log("19 more developers run a private version each, ten at a time")
	var wg sync.WaitGroup
	errs := make(chan string, 19)
	gate := make(chan struct{}, 10)
	for i := 1; i <= 19; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gate <- struct{}{}
			defer func() { <-gate }()
			name := fmt.Sprintf("dev%02d_v2", i)
			if out, err := as(fmt.Sprintf("dev%02d@example.com", i)).try(svctl, "run", "-private", "lobsters-popularity", name, "UNCOMMITTED_COPY"); err != nil {
				errs <- fmt.Sprintf("run of %s: %v\n%s", name, err, tail(out, 6))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		b.Fatal(e)
	}
	if rows := c.instances(); len(rows) != 5+19 {
		b.Fatalf("ps lists %d instances, want 5 shared and 19 private", len(rows))
	}
	at20 := measure(20)

	for _, m := range []struct {
		unit      string
		one, many float64
	}{
		{"run", at1.runS, at20.runS},
		{"run-cmd", at1.cmdS, at20.cmdS},
		{"ps", at1.psS, at20.psS},
		{"stop", at1.stopS, at20.stopS},
		{"plain-p50", at1.plainMS, at20.plainMS},
		{"personal-p50", at1.personalMS, at20.personalMS},
	} {
		b.ReportMetric(m.one, m.unit+"-at1")
		b.ReportMetric(m.many, m.unit+"-at20")
		b.ReportMetric(m.many/m.one, m.unit+"-x")
	}
	b.ReportMetric(float64(at1.runWrites), "run-writes-at1")
	b.ReportMetric(float64(at20.runWrites), "run-writes-at20")
	b.ReportMetric(float64(at1.stopWrite), "stop-writes-at1")
	b.ReportMetric(float64(at20.stopWrite), "stop-writes-at20")
	b.ReportMetric(float64(max(at20.runWrites-at1.runWrites, at20.stopWrite-at1.stopWrite)), "writes-growth")
}

// loadP50 loads /popular n times, one at a time, with client and returns
// the median time to a complete page in ms; every load must be a good page,
// from the version named (any, if name is empty).
func (c *multiNode) loadP50(b *testing.B, client *http.Client, name string, n int) float64 {
	b.Helper()
	var ms []float64
	for i := 0; i < n; i++ {
		start := time.Now()
		p := fetchPage(client, c.web+"/popular")
		if !p.ok() || (name != "" && p.Version != name) {
			b.Fatalf("load %d of /popular (naming %q): %v", i, name, p)
		}
		ms = append(ms, float64(time.Since(start).Microseconds())/1000)
	}
	return median64(ms)
}

// configWrites counts the config-entry writes (PUT and DELETE under
// /v1/config) that pass through a proxy in front of the cluster's Consul;
// env is the cluster's environment with CONSUL_HTTP_ADDR pointing at it.
type configWrites struct {
	n   atomic.Int64
	env []string
}

func countConfigWrites(b *testing.B, c *multiNode) *configWrites {
	b.Helper()
	var target string
	for _, kv := range c.env {
		if v, ok := strings.CutPrefix(kv, "CONSUL_HTTP_ADDR="); ok {
			target = v
		}
	}
	if !strings.Contains(target, "://") {
		target = "http://" + target
	}
	u, err := url.Parse(target)
	if err != nil || target == "http://" {
		b.Fatalf("the cluster's CONSUL_HTTP_ADDR %q: %v", target, err)
	}
	w := &configWrites{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodPut || r.Method == http.MethodDelete) && strings.HasPrefix(r.URL.Path, "/v1/config") {
			w.n.Add(1)
		}
		proxy.ServeHTTP(rw, r)
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	for _, kv := range c.env {
		if !strings.HasPrefix(kv, "CONSUL_HTTP_ADDR=") {
			w.env = append(w.env, kv)
		}
	}
	w.env = append(w.env, "CONSUL_HTTP_ADDR=http://"+ln.Addr().String())
	return w
}
