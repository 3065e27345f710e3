package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"microwizard/lobsters/seed"
)

var timingsRE = regexp.MustCompile(`timings: copy ([^,]+), build ([^,]+), publish ([^,]+), submit to healthy ([^,]+), total (\S+)`)

// BenchmarkDeploy measures `svctl run … UNCOMMITTED_COPY` on real Nomad,
// split into copy, build, submit-to-healthy and first /popular answer from
// the new instance, and `svctl stop` to the last request the instance served.
// Medians of 5 runs after one that warms the build cache. Goal: a run under
// 3 s with a warm build cache.
func BenchmarkDeploy(b *testing.B) {
	c := newCluster(b, seed.Default.Scale(0.05))
	c.svctl("run", "lobsters-popularity", "lobpop_warm", "UNCOMMITTED_COPY") // warms the build cache; stays as a base instance
	var copyS, buildS, healthyS, firstS, stopS []float64
	reused := 0
	var floorS []float64
	for i := 0; i < 5; i++ {
		name := "lobpop_b" + strconv.Itoa(i)
		start := time.Now()
		out := c.svctl("run", "lobsters-popularity", name, "UNCOMMITTED_COPY")
		m := timingsRE.FindStringSubmatch(out)
		if m == nil {
			b.Fatalf("no timings in svctl's output:\n%s", out)
		}
		copyS = append(copyS, seconds(b, m[1]))
		buildS = append(buildS, seconds(b, strings.TrimSuffix(m[2], " (reused)")))
		if strings.HasSuffix(m[2], "(reused)") {
			reused++
		}
		healthyS = append(healthyS, seconds(b, m[4]))
		c.waitFor("the new instance answering", 30*time.Second, func() bool {
			for j := 0; j < 4; j++ {
				if p := c.popular(); p.Version == name {
					return true
				}
			}
			return false
		})
		firstS = append(firstS, time.Since(start).Seconds())
		floorS = append(floorS, c.floor(out, name, "lobpop_f"+strconv.Itoa(i)))
		stopS = append(stopS, c.stopToQuiet(name))
	}
	b.ReportMetric(median64(copyS), "copy-s")
	b.ReportMetric(median64(buildS), "build-s")
	b.ReportMetric(median64(healthyS), "submit-to-healthy-s")
	b.ReportMetric(median64(firstS), "run-to-first-answer-s")
	b.ReportMetric(median64(stopS), "stop-to-quiet-s")
	b.ReportMetric(float64(reused), "builds-reused")
	b.ReportMetric(median64(floorS), "floor-s")
	b.ReportMetric(median64(firstS)/median64(floorS), "run-vs-floor-x")
}

var jobRE = regexp.MustCompile(`is running: job (\S+),`)

// floor is what Nomad alone takes: the job svctl rendered for the run
// (printed in out), with an already-built binary, submitted again under
// another name with the nomad CLI, to its first /popular answer through the
// mesh. It returns the seconds, and stops the job.
func (c *cluster) floor(out, name, as string) float64 {
	c.t.Helper()
	m := jobRE.FindStringSubmatch(out)
	if m == nil {
		c.t.Fatalf("no job in svctl's output:\n%s", out)
	}
	text, err := os.ReadFile(filepath.Join(c.dataDir, "runs", m[1], "job.nomad.hcl"))
	if err != nil {
		c.t.Fatal(err)
	}
	file := filepath.Join(c.t.TempDir(), as+".nomad.hcl")
	// Renamed, but its binary and copy stay where the run put them.
	job := strings.ReplaceAll(string(text), name, as)
	job = strings.ReplaceAll(job, "runs/"+strings.ReplaceAll(m[1], name, as), "runs/"+m[1])
	if err := os.WriteFile(file, []byte(job), 0o600); err != nil {
		c.t.Fatal(err)
	}
	start := time.Now()
	c.run("nomad", "job", "run", "-detach", file)
	c.waitFor("the floor's job answering", time.Minute, func() bool {
		for j := 0; j < 4; j++ {
			if p := c.popular(); p.Version == as {
				return true
			}
		}
		return false
	})
	took := time.Since(start).Seconds()
	c.svctl("stop", as)
	return took
}

// stopToQuiet stops NAME while /popular is loaded and returns the seconds
// from the stop to the last request an instance of NAME answered.
func (c *cluster) stopToQuiet(name string) float64 {
	l := c.startLoad(50, time.Minute)
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	l.setPhase("stop")
	c.svctl("stop", name)
	time.Sleep(time.Second)
	var last time.Time
	for _, p := range l.finish()["stop"] {
		if p.Version == name && p.at.After(last) {
			last = p.at
		}
	}
	if last.IsZero() {
		return 0
	}
	return last.Sub(start).Seconds()
}

func seconds(tb testing.TB, s string) float64 {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		tb.Fatalf("duration %q: %v", s, err)
	}
	return d.Seconds()
}

func median64(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
