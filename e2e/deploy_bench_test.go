package e2e

import (
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
// Medians of 3 runs after one that warms the build cache. Goal: a run under
// 3 s with a warm build cache.
func BenchmarkDeploy(b *testing.B) {
	c := newCluster(b, seed.Default.Scale(0.05))
	c.svctl("run", "lobsters-popularity", "lobpop_warm", "UNCOMMITTED_COPY") // warms the build cache; stays as a base instance
	var copyS, buildS, healthyS, firstS, stopS []float64
	for i := 0; i < 3; i++ {
		name := "lobpop_b" + strconv.Itoa(i)
		start := time.Now()
		out := c.svctl("run", "lobsters-popularity", name, "UNCOMMITTED_COPY")
		m := timingsRE.FindStringSubmatch(out)
		if m == nil {
			b.Fatalf("no timings in svctl's output:\n%s", out)
		}
		copyS = append(copyS, seconds(b, m[1]))
		buildS = append(buildS, seconds(b, m[2]))
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
		stopS = append(stopS, c.stopToQuiet(name))
	}
	b.ReportMetric(median64(copyS), "copy-s")
	b.ReportMetric(median64(buildS), "build-s")
	b.ReportMetric(median64(healthyS), "submit-to-healthy-s")
	b.ReportMetric(median64(firstS), "run-to-first-answer-s")
	b.ReportMetric(median64(stopS), "stop-to-quiet-s")
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
