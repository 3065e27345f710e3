package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"microwizard/lobsters/seed"
)

// Goals, from the issue.
const (
	tutorialExpect    = 25.0 // % of /popular over 1 s with one slow instance of four
	resilientGoal     = 2.0  // % at most
	floodRatioGoal    = 1.2  // other pages' p99 flooded / idle, at most
	tutorialTolerance = 10.0 // ± percentage points around tutorialExpect
)

// profileResult holds the slow share under one routing profile.
type profileResult struct {
	name, profile string
	seq, conc     stats // /popular, over slowThreshold counted
	// The monolith sidecar's listener configurations that served each run,
	// by Envoy stat prefix.
	seqListeners, concListeners map[string]uint64
}

// results is everything the table shows.
type results struct {
	size      seed.Size
	conc      int
	floodConc int
	slowAlone time.Duration
	profiles  []profileResult
	idle      stats       // other pages, lobpop_v2 alone and idle
	flooded   stats       // other pages while /popular is flooded
	flood     stats       // the flood's own /popular loads
	latency   [3][4]stats // bare, Envoys, mesh × latencyLevels
}

// print writes the table.
func (r *results) print(out io.Writer) {
	fmt.Fprintf(out, "\nmeshbench: 3 × lobpop_v1 + 1 × lobpop_v2 (the tutorial's slow version) on %v; lobpop_v2 by itself %s\n\n",
		r.size, r.slowAlone.Round(time.Millisecond))
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "/popular loads over 1 s\tprofile\tshare\tfailed\tby lobpop_v2\tp50\tp99\tgoal\t")
	for _, p := range r.profiles {
		for _, row := range []struct {
			label string
			st    stats
		}{{"sequential", p.seq}, {fmt.Sprintf("concurrency %d", r.conc), p.conc}} {
			fmt.Fprintf(w, "  %s (%d)\t%s\t%.1f %% (%d)\t%d\t%d\t%s\t%s\t%s\t\n", row.label, row.st.n, p.name, row.st.share(), row.st.over,
				row.st.failed, row.st.bySlow, ms(row.st.p50), ms(row.st.p99), shareGoal(p.profile, row.st))
		}
	}
	w.Flush()
	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "other pages' p99 (/, /newest, a story, a user)\tidle\t/popular flooded\tratio\tgoal\t\n")
	ratio := float64(r.flooded.p99) / float64(max(r.idle.p99, time.Microsecond))
	goal := verdict(ratio <= floodRatioGoal, fmt.Sprintf("≤ %.1f×", floodRatioGoal))
	if r.flood.failed*10 > r.flood.n {
		goal = fmt.Sprintf("no verdict: %d of the flood's %d loads failed, so it was not a flood of slow requests", r.flood.failed, r.flood.n)
	}
	fmt.Fprintf(w, "  %d loads each, one every 50 ms; tutorial profile\t%s\t%s\t%.2f×\t%s\t\n", r.idle.n, ms(r.idle.p99), ms(r.flooded.p99), ratio, goal)
	fmt.Fprintf(w, "  the flood: c%d /popular, lobpop_v2 alone\t%d loads\tp50 %s, p99 %s\t%d failed\t\t\n", r.floodConc, r.flood.n, ms(r.flood.p50), ms(r.flood.p99), r.flood.failed)
	w.Flush()
	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprint(w, "/popular latency p50 / p99, 3 × lobpop_v1")
	for _, c := range latencyLevels {
		fmt.Fprintf(w, "\tc%d", c)
	}
	fmt.Fprintln(w, "\t")
	for k, label := range []string{"bare query (the service directly)", "through both Envoys (127.0.0.1:8000)", "through the mesh (the monolith's /popular)"} {
		fmt.Fprintf(w, "  %s", label)
		for _, st := range r.latency[k] {
			fmt.Fprintf(w, "\t%s / %s", ms(st.p50), ms(st.p99))
		}
		fmt.Fprintln(w, "\t")
	}
	w.Flush()
	fmt.Fprintln(out, "\nlisteners of the monolith's sidecar that served each /popular run (Envoy stat prefix: requests):")
	for _, p := range r.profiles {
		fmt.Fprintf(out, "  %s: sequential %s; concurrent %s\n", p.name, listeners(p.seqListeners), listeners(p.concListeners))
	}
	n := r.latency[0][0].n
	fmt.Fprintf(out, "\n(%d requests per latency cell; failed requests there: %d)\n", n, r.latencyFailures())
}

// shareGoal is the goal of a slow-share row, and whether it was met.
func shareGoal(profile string, st stats) string {
	switch profile {
	case "tutorial":
		s := st.share()
		return verdict(s >= tutorialExpect-tutorialTolerance && s <= tutorialExpect+tutorialTolerance, fmt.Sprintf("about %.0f %% (the tutorial's lesson)", tutorialExpect))
	case "resilient":
		return verdict(st.share() <= resilientGoal, fmt.Sprintf("≤ %.0f %%", resilientGoal))
	}
	return ""
}

// listeners writes the upstream listeners' request counts, the public
// listener left out.
func listeners(m map[string]uint64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if strings.HasPrefix(k, "upstream") {
			parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}

func verdict(ok bool, goal string) string {
	if ok {
		return goal + ": met"
	}
	return goal + ": MISSED"
}

func (r *results) latencyFailures() int {
	n := 0
	for _, row := range r.latency {
		for _, st := range row {
			n += st.failed
		}
	}
	return n
}

// ms writes d in milliseconds, with a decimal under 10 ms.
func ms(d time.Duration) string {
	m := float64(d) / float64(time.Millisecond)
	if m < 10 {
		return fmt.Sprintf("%.1f ms", m)
	}
	return fmt.Sprintf("%.0f ms", m)
}

// printRows writes the figures as tab-separated rows ("row", figure, value,
// goal, met) for `just bench` (tools/bench), which puts them in its table.
func (r *results) printRows(out io.Writer) {
	row := func(figure, value, goal, met string) {
		fmt.Fprintf(out, "row\t%s\t%s\t%s\t%s\n", figure, value, goal, met)
	}
	yes := func(ok bool) string { return map[bool]string{true: "yes", false: "NO"}[ok] }
	for _, p := range r.profiles {
		for _, run := range []struct {
			label string
			st    stats
		}{{"sequential", p.seq}, {fmt.Sprintf("concurrency %d", r.conc), p.conc}} {
			fig := fmt.Sprintf("/popular loads over 1 s, 3 fast + 1 slow instance, %s, %s", p.name, run.label)
			val := fmt.Sprintf("%.1f %% (%d failed)", run.st.share(), run.st.failed)
			if run.st.failed > 0 {
				val = fmt.Sprintf("%.1f %% (%d failed: %s)", run.st.share(), run.st.failed, run.st.causesText())
			}
			switch p.profile {
			case "tutorial":
				s := run.st.share()
				row(fig, val, fmt.Sprintf("about %.0f %%", tutorialExpect), yes(s >= tutorialExpect-tutorialTolerance && s <= tutorialExpect+tutorialTolerance))
			case "resilient":
				row(fig, val, fmt.Sprintf("≤ %.0f %%", resilientGoal), yes(run.st.share() <= resilientGoal && run.st.failed == 0))
			}
		}
	}
	ratio := float64(r.flooded.p99) / float64(max(r.idle.p99, time.Microsecond))
	row("other pages' p99, idle", ms(r.idle.p99), "", "")
	row(fmt.Sprintf("other pages' p99, /popular flooded with slow requests (c%d)", r.floodConc), fmt.Sprintf("%s (%.2f× idle)", ms(r.flooded.p99), ratio),
		fmt.Sprintf("≤ %.1f× idle", floodRatioGoal), yes(ratio <= floodRatioGoal))
	for c, conc := range latencyLevels {
		for k, label := range []string{"the bare query (the service directly)", "/popular through the mesh"} {
			l := r.latency[2*k][c] // 0: bare, 2: the monolith's /popular
			row(fmt.Sprintf("p50 / p99, %s, concurrency %d", label, conc), ms(l.p50)+" / "+ms(l.p99), "", "")
		}
	}
	bare, mesh := r.latency[0], r.latency[2]
	cost := mesh[0].p50 - bare[0].p50
	row("the mesh's cost at concurrency 1: /popular p50 − the bare query's", ms(cost), "≤ 1 ms", yes(cost <= time.Millisecond))
	i16 := slices.Index(latencyLevels[:], 16)
	ratio16 := float64(mesh[i16].p50) / float64(max(bare[i16].p50, time.Microsecond))
	row("the mesh at concurrency 16: /popular p50 / the bare query's", fmt.Sprintf("%.2f×", ratio16), "≤ 2×", yes(ratio16 <= 2))
}
