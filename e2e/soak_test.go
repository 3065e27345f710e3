package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"microwizard/lobsters/seed"
)

// soakCycles is how many run/stop cycles TestSoak makes: SVCTL_SOAK_CYCLES,
// which `just soak` sets (100 by default).
func soakCycles(t *testing.T) int {
	v := os.Getenv("SVCTL_SOAK_CYCLES")
	if v == "" {
		t.Skip("the soak runs with `just soak` (SVCTL_SOAK_CYCLES=N): about 8 s a cycle")
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 10 {
		t.Fatalf("SVCTL_SOAK_CYCLES=%q: want a number of cycles, at least 10", v)
	}
	return n
}

// TestSoak: run/stop cycles of one version on real Nomad, Consul and Envoy
// while /popular is loaded at 20 requests a second, `svctl logs -f` follows
// the version the whole time, and `svctl watch` runs another one anew every
// tenth cycle. No load fails; every request line
// each instance wrote is in the follow exactly once; nothing of the stopped
// versions is left; svctl's memory after all the cycles is at most 1.2 times
// what it was after 10, and the watch's too. It prints the figures as a table.
func TestSoak(t *testing.T) {
	cycles := soakCycles(t)
	c := newCluster(t, seed.Small)
	c.svctl("run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	// Healthy in Consul, it reaches the monolith's Envoy a moment later.
	c.waitFor("lobpop_v1 serving /popular", 60*time.Second, func() bool { return fetchPage(c.client, c.web+"/popular").ok() })
	load := loadSteadily(c.client, c.web+"/popular", 20)
	load.during("the start")
	began := time.Now()

	// A watch runs the whole time too: every tenth cycle an edit to what
	// the service is built from makes it build and run anew.
	w := startSvctl(t, c.bin, c.repo, c.env, "watch", "-var", "dsn="+c.dsn, "lobsters-popularity", "lobpop_watch")
	waitOutput(t, w, "==> watching", 1, 180*time.Second)
	doc := filepath.Join(c.repo, "popularity", "doc.go")
	var f *svctlProcess
	var rss10, rssEnd, watch10, watchEnd int64
	reruns := 0
	for i := 1; i <= cycles; i++ {
		if i%10 == 5 {
			load.during(fmt.Sprintf("cycle %d: the watch runs anew", i))
			edit, err := os.OpenFile(doc, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(edit, "\n// soak edit %d\n", i)
			edit.Close()
			reruns++
			waitOutput(t, w, "lobpop_watch runs as job", reruns, 180*time.Second)
		}
		load.during(fmt.Sprintf("cycle %d: svctl run", i))
		c.svctl("run", "lobsters-popularity", "lobpop_soak", "UNCOMMITTED_COPY")
		if f == nil { // NAME must have an instance when the follow begins
			f = startSvctl(t, c.bin, c.repo, c.env, "logs", "-f", "lobpop_soak")
		}
		load.during(fmt.Sprintf("cycle %d: serving", i))
		time.Sleep(time.Second) // it serves a share of the load
		load.during(fmt.Sprintf("cycle %d: svctl stop", i))
		c.svctl("stop", "lobpop_soak")
		if i == 10 {
			rss10, watch10 = f.rssKB(), w.rssKB()
		}
		if i%10 == 0 {
			t.Logf("cycle %d of %d: %s", i, cycles, time.Since(began).Round(time.Second))
		}
	}
	rssEnd, watchEnd = f.rssKB(), w.rssKB()
	load.during("the watch's end (Ctrl-C)")
	w.stop()
	load.during("svctl stop lobpop_watch")
	c.svctl("stop", "lobpop_watch")
	load.during("the end")
	total, failed, _ := load.finish()
	deadline := time.Now().Add(60 * time.Second)
	for strings.Count(f.text(), " ended (") < cycles && time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
	}
	f.stop()
	text := f.text()
	if n := strings.Count(text, " ended ("); n != cycles {
		t.Errorf("svctl logs -f said %d times that an instance ended, want %d; its notes:\n%s", n, cycles, notes(text))
	}
	instances, lines := requestLines(t, text)
	if instances != cycles {
		t.Errorf("%d instances said how many requests they served, want %d", instances, cycles)
	}
	if len(failed) > 0 {
		t.Errorf("%d of %d loads failed:\n%s", len(failed), total, strings.Join(failed, "\n"))
	}

	// Nothing is left of the stopped versions.
	entries, err := os.ReadDir(filepath.Join(c.dataDir, "runs"))
	if err != nil {
		t.Fatalf("read the runs directory: %v", err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), "lobpop_soak") {
			t.Errorf("a stopped run's directory is left: %s", e.Name())
		}
	}
	var jobs []struct{ ID, Status string }
	if err := json.Unmarshal([]byte(c.run("curl", "-sf", c.nomad.Addr+"/v1/jobs")), &jobs); err != nil {
		t.Fatalf("nomad's job list: %v", err)
	}
	for _, j := range jobs {
		if strings.Contains(j.ID, "lobpop_soak") {
			t.Errorf("job %s (%s) is left in Nomad: stop purges", j.ID, j.Status)
		}
	}
	var svcs []struct{ ServiceMeta map[string]string }
	if err := json.Unmarshal([]byte(c.run("curl", "-sf", "http://"+c.consul.HTTPAddr+"/v1/catalog/service/lobsters-popularity")), &svcs); err != nil {
		t.Fatalf("consul catalog: %v", err)
	}
	for _, s := range svcs {
		if s.ServiceMeta["deploy_name"] == "lobpop_soak" {
			t.Errorf("an instance of lobpop_soak is left in Consul: %v", s.ServiceMeta)
		}
	}
	for _, kind := range []string{"service-resolver", "service-router"} {
		if entry := c.run("curl", "-s", "http://"+c.consul.HTTPAddr+"/v1/config/"+kind+"/lobsters-popularity"); strings.Contains(entry, "lobpop_soak") {
			t.Errorf("the %s still names lobpop_soak:\n%s", kind, entry)
		}
	}
	ratio, watchRatio := float64(rssEnd)/float64(rss10), float64(watchEnd)/float64(watch10)
	if ratio > 1.2 {
		t.Errorf("svctl logs -f used %d KiB after 10 cycles and %d KiB after %d: %.2fx, over 1.2x", rss10, rssEnd, cycles, ratio)
	}
	if watchRatio > 1.2 {
		t.Errorf("svctl watch used %d KiB after 10 cycles and %d KiB after %d: %.2fx, over 1.2x", watch10, watchEnd, cycles, watchRatio)
	}
	took := time.Since(began)
	fmt.Printf("\nsoak: %d run/stop cycles of lobpop_soak beside lobpop_v1, /popular at 20/s, svctl logs -f throughout (%s, %.1f s a cycle)\n",
		cycles, took.Round(time.Second), took.Seconds()/float64(cycles))
	fmt.Printf("| figure | value | goal | met |\n|---|---|---|---|\n")
	fmt.Printf("| loads failed | %d of %d | 0 | %s |\n", len(failed), total, yes(len(failed) == 0))
	fmt.Printf("| request lines in logs -f exactly once | %d of %d instances, %d lines | all | %s |\n", instances, cycles, lines, yes(instances == cycles && !t.Failed()))
	fmt.Printf("| left behind (run dirs, jobs, Consul instances, routes) | %s | none | %s |\n", leftText(t), yes(!t.Failed()))
	fmt.Printf("| svctl logs -f memory, after %d cycles / after 10 | %d / %d KiB = %.2fx | ≤ 1.2x | %s |\n", cycles, rssEnd, rss10, ratio, yes(ratio <= 1.2))
	fmt.Printf("| svctl watch memory (%d runs anew), after %d cycles / after 10 | %d / %d KiB = %.2fx | ≤ 1.2x | %s |\n", reruns, cycles, watchEnd, watch10, watchRatio, yes(watchRatio <= 1.2))
}

func leftText(t *testing.T) string {
	if t.Failed() {
		return "see the errors above"
	}
	return "none"
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

// waitOutput waits until p has printed want n times, and fails the test
// with what it printed if it does not within d.
func waitOutput(t *testing.T, p *svctlProcess, want string, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for strings.Count(p.text(), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %q %d times within %s; it printed:\n%s", strings.Join(p.cmd.Args, " "), want, n, d, tail(p.text(), 40))
		}
		time.Sleep(250 * time.Millisecond)
	}
}
