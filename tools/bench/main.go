// Command bench runs the project's benchmarks (`go test -bench`) and prints
// one table with every figure the project promises, its goal beside it, and
// the machine it ran on. `just bench` runs it; the README carries its latest
// output.
//
//	go run ./tools/bench [-only REGEXP] [-v]
//
// Benchmarks that need components this machine lacks (Nomad, Consul, Envoy)
// skip, and their rows say so.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// run is one `go test -bench` invocation.
type run struct {
	pkg       string
	bench     string // -bench regexp
	benchtime string
}

// figure is one row of the table: a metric of one benchmark.
type figure struct {
	label string
	run   run
	name  string // benchmark name without the -N suffix
	unit  string // metric unit as reported ("ns/op", "copy-s", ...)
	scale float64
	show  string // unit shown
	goal  string
	ok    func(v float64) bool // nil: no pass/fail
}

var (
	seedRun    = run{"./lobsters/seed", "^BenchmarkSeedDefault$", "1x"}
	queryRun   = run{"./popularity", "^Benchmark(EfficientQuery|InefficientQuery|OtherQuery.*)$", "3x"}
	overRun    = run{"./lobsters", "^BenchmarkPopularOverhead$", "2000x"}
	copyRun    = run{"./tools/svctl", "^BenchmarkCopyAndBuildThisRepo$", "3x"}
	synthRun   = run{"./internal/svctl/snapshot", "^BenchmarkCopy10kFiles$", "3x"}
	growthRun  = run{"./tools/svctl", "^BenchmarkRunGrowth$", "2x"}
	deployRun  = run{"./e2e", "^BenchmarkDeploy$", "1x"}
	clusterRun = run{"./e2e", "^BenchmarkRunRemoteVsLocal$", "1x"}
	watchRun   = run{"./e2e", "^BenchmarkWatch$", "1x"}
	publishRun = run{"./internal/svctl/artifacts", "^BenchmarkPublish$", "3x"}
	teamRun    = run{"./e2e", "^BenchmarkTeamScale$", "1x"}
	lessThan   = func(max float64) func(float64) bool { return func(v float64) bool { return v < max } }
	atLeast    = func(min float64) func(float64) bool { return func(v float64) bool { return v >= min } }
	atMost     = func(max float64) func(float64) bool { return func(v float64) bool { return v <= max } }
	secondsPer = 1e-9
)

var figures = []figure{
	{"seed the default data set (10k users, 500k votes)", seedRun, "BenchmarkSeedDefault", "ns/op", secondsPer, "s", "< 60 s", lessThan(60)},
	{"efficientQuery (top 25)", queryRun, "BenchmarkEfficientQuery", "ns/op", 1e-6, "ms", "", nil},
	{"inefficientQuery (top 25)", queryRun, "BenchmarkInefficientQuery", "ns/op", secondsPer, "s", "≥ 2 s", atLeast(2)},
	{"a front-page query, idle", queryRun, "BenchmarkOtherQueryIdle", "ns/op", 1e-6, "ms", "", nil},
	{"a front-page query, inefficientQuery running", queryRun, "BenchmarkOtherQueryWhileInefficientRuns", "ns/op", 1e-6, "ms", "", nil},
	{"/popular's own overhead over the bare service call", overRun, "BenchmarkPopularOverhead/popular", "overhead-ns/op", 1e-3, "µs", "", nil},
	{"copy this repo's working tree", copyRun, "BenchmarkCopyAndBuildThisRepo", "copy-s", 1, "s", "", nil},
	{"build the service from the copy (warm cache)", copyRun, "BenchmarkCopyAndBuildThisRepo", "build-s", 1, "s", "", nil},
	{"copy a synthetic 10,000-file repo (UNCOMMITTED_COPY)", synthRun, "BenchmarkCopy10kFiles/UNCOMMITTED_COPY", "ns/op", secondsPer, "s", "", nil},
	{"export a synthetic 10,000-file repo (a git ref)", synthRun, "BenchmarkCopy10kFiles/ref", "ns/op", secondsPer, "s", "", nil},
	{"svctl run's copy, a tree of 200 files", growthRun, "BenchmarkRunGrowth/files=200", "copy-s", 1, "s", "", nil},
	{"svctl run's copy, a tree of 2,000 files", growthRun, "BenchmarkRunGrowth/files=2000", "copy-s", 1, "s", "", nil},
	{"svctl run's copy, a tree of 20,000 files", growthRun, "BenchmarkRunGrowth/files=20000", "copy-s", 1, "s", "", nil},
	{"svctl run's build (key, then go build, warm cache), a tree of 200 files", growthRun, "BenchmarkRunGrowth/files=200", "build-s", 1, "s", "", nil},
	{"svctl run's build (key, then go build, warm cache), a tree of 2,000 files", growthRun, "BenchmarkRunGrowth/files=2000", "build-s", 1, "s", "", nil},
	{"svctl run's build (key, then go build, warm cache), a tree of 20,000 files", growthRun, "BenchmarkRunGrowth/files=20000", "build-s", 1, "s", "", nil},
	{"svctl run: copy", deployRun, "BenchmarkDeploy", "copy-s", 1, "s", "", nil},
	{"svctl run: build", deployRun, "BenchmarkDeploy", "build-s", 1, "s", "", nil},
	{"svctl run: submit to healthy in Consul", deployRun, "BenchmarkDeploy", "submit-to-healthy-s", 1, "s", "", nil},
	{"svctl run: to the first /popular answer from it", deployRun, "BenchmarkDeploy", "run-to-first-answer-s", 1, "s", "< 3 s", lessThan(3)},
	{"svctl run of an unchanged tree: runs whose build was reused (of 5)", deployRun, "BenchmarkDeploy", "builds-reused", 1, "", "5", atLeast(5)},
	{"the floor: the same rendered job, built, submitted with nomad, to its first answer", deployRun, "BenchmarkDeploy", "floor-s", 1, "s", "", nil},
	{"svctl run to the first answer / the floor (same run)", deployRun, "BenchmarkDeploy", "run-vs-floor-x", 1, "×", "≤ 1.3×", atMost(1.3)},
	{"svctl stop: to the last request it served", deployRun, "BenchmarkDeploy", "stop-to-quiet-s", 1, "s", "", nil},
	{"svctl watch: a saved edit to the first /popular answer from the new code", watchRun, "BenchmarkWatch", "watch-edit-to-answer-s", 1, "s", "", nil},
	{"svctl run of the same kind of change: to the first answer from it", watchRun, "BenchmarkWatch", "run-to-answer-s", 1, "s", "", nil},
	{"svctl watch / svctl run, to the first answer (same run)", watchRun, "BenchmarkWatch", "watch-vs-run-x", 1, "×", "≤ 1.3×", atMost(1.3)},
	{"svctl run to the first answer, local dev agent", clusterRun, "BenchmarkRunRemoteVsLocal", "local-s", 1, "s", "", nil},
	{"svctl run to the first answer, a cluster node (published, fetched)", clusterRun, "BenchmarkRunRemoteVsLocal", "remote-s", 1, "s", "", nil},
	{"svctl run to the first answer, cluster node / local (same run)", clusterRun, "BenchmarkRunRemoteVsLocal", "remote/local", 1, "×", "≤ 1.3×", atMost(1.3)},
	{"svctl run of an unchanged tree on a cluster: bytes uploaded", clusterRun, "BenchmarkRunRemoteVsLocal", "unchanged-uploaded-bytes", 1, "B", "0", atMost(0)},
	{"publish new content, 1 MB", publishRun, "BenchmarkPublish/new-1MB", "ns/op", 1e-6, "ms", "", nil},
	{"publish new content, 8 MB", publishRun, "BenchmarkPublish/new-8MB", "ns/op", 1e-6, "ms", "", nil},
	{"publish new content, 32 MB", publishRun, "BenchmarkPublish/new-32MB", "ns/op", 1e-6, "ms", "", nil},
	{"publish unchanged content, 32 MB (nothing uploaded)", publishRun, "BenchmarkPublish/unchanged-32MB", "ns/op", 1e-6, "ms", "", nil},
	{"a team's cluster (5 shared instances): svctl run -private to its first answer, 1 private version", teamRun, "BenchmarkTeamScale", "run-at1", 1, "s", "", nil},
	{"a team's cluster: svctl run -private to its first answer, 20 private versions", teamRun, "BenchmarkTeamScale", "run-at20", 1, "s", "", nil},
	{"a team's cluster: svctl run -private, 20 versions / 1", teamRun, "BenchmarkTeamScale", "run-x", 1, "×", "≤ 1.2×", atMost(1.2)},
	{"a team's cluster: svctl ps, 1 private version", teamRun, "BenchmarkTeamScale", "ps-at1", 1, "s", "", nil},
	{"a team's cluster: svctl ps, 20 private versions", teamRun, "BenchmarkTeamScale", "ps-at20", 1, "s", "", nil},
	{"a team's cluster: svctl ps, 20 versions / 1", teamRun, "BenchmarkTeamScale", "ps-x", 1, "×", "≤ 1.2×", atMost(1.2)},
	{"a team's cluster: svctl stop, 1 private version", teamRun, "BenchmarkTeamScale", "stop-at1", 1, "s", "", nil},
	{"a team's cluster: svctl stop, 20 private versions", teamRun, "BenchmarkTeamScale", "stop-at20", 1, "s", "", nil},
	{"a team's cluster: svctl stop, 20 versions / 1", teamRun, "BenchmarkTeamScale", "stop-x", 1, "×", "≤ 1.2×", atMost(1.2)},
	{"a team's cluster: /popular p50, plain, 1 private version", teamRun, "BenchmarkTeamScale", "plain-p50-at1", 1, "ms", "", nil},
	{"a team's cluster: /popular p50, plain, 20 private versions", teamRun, "BenchmarkTeamScale", "plain-p50-at20", 1, "ms", "", nil},
	{"a team's cluster: /popular p50, plain, 20 versions / 1", teamRun, "BenchmarkTeamScale", "plain-p50-x", 1, "×", "≤ 1.2×", atMost(1.2)},
	{"a team's cluster: /popular p50, personal, 1 private version", teamRun, "BenchmarkTeamScale", "personal-p50-at1", 1, "ms", "", nil},
	{"a team's cluster: /popular p50, personal, 20 private versions", teamRun, "BenchmarkTeamScale", "personal-p50-at20", 1, "ms", "", nil},
	{"a team's cluster: /popular p50, personal, 20 versions / 1", teamRun, "BenchmarkTeamScale", "personal-p50-x", 1, "×", "≤ 1.2×", atMost(1.2)},
	{"a team's cluster: Consul config-entry writes of a run -private, 1 private version", teamRun, "BenchmarkTeamScale", "run-writes-at1", 1, "", "", nil},
	{"a team's cluster: Consul config-entry writes of a run -private, 20 private versions", teamRun, "BenchmarkTeamScale", "run-writes-at20", 1, "", "", nil},
	{"a team's cluster: Consul config-entry writes of a stop, 1 private version", teamRun, "BenchmarkTeamScale", "stop-writes-at1", 1, "", "", nil},
	{"a team's cluster: Consul config-entry writes of a stop, 20 private versions", teamRun, "BenchmarkTeamScale", "stop-writes-at20", 1, "", "", nil},
	{"a team's cluster: config-entry writes per run or stop, more at 20 versions than at 1", teamRun, "BenchmarkTeamScale", "writes-growth", 1, "", "0", atMost(0)},
}

func main() {
	only := flag.String("only", "", "run only the figures whose label matches this regexp")
	verbose := flag.Bool("v", false, "print the benchmarks' own output")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench: unexpected argument %q: bench takes only flags (quote a -only pattern that has spaces)\n", flag.Arg(0))
		os.Exit(2)
	}
	var filter *regexp.Regexp
	if *only != "" {
		var err error
		if filter, err = regexp.Compile(*only); err != nil {
			fmt.Fprintf(os.Stderr, "bench: -only: %v\n", err)
			os.Exit(2)
		}
		if !slices.ContainsFunc(figures, func(f figure) bool { return filter.MatchString(f.label) }) {
			fmt.Fprintf(os.Stderr, "bench: -only %q matches no figure's label\n", *only)
			os.Exit(2)
		}
	}
	results := map[run]*outcome{}
	for _, f := range figures {
		if filter != nil && !filter.MatchString(f.label) {
			continue
		}
		if _, done := results[f.run]; done {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: %s %s ...\n", f.run.pkg, f.run.bench)
		results[f.run] = runBench(f.run, *verbose)
	}
	var mesh [][4]string
	if filter == nil || filter.MatchString("mesh") {
		fmt.Fprintln(os.Stderr, "bench: ./tools/meshbench (Consul, Envoy and the service in a mesh lab) ...")
		mesh = meshRows(*verbose)
	}
	printTable(os.Stdout, results, filter, mesh)
}

// meshRows runs tools/meshbench and returns its rows (figure, value, goal,
// met), or one row saying why there are none.
func meshRows(verbose bool) [][4]string {
	cmd := exec.Command("go", "run", "./tools/meshbench", "-rows")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if verbose {
		os.Stderr.Write(errOut.Bytes())
	}
	var rows [][4]string
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 5 && f[0] == "row" {
			rows = append(rows, [4]string{f[1], f[2], f[3], f[4]})
		}
	}
	if err != nil || len(rows) == 0 {
		return [][4]string{{"the mesh figures (tools/meshbench)", "failed: " + strings.ReplaceAll(lastLines(errOut.String(), 2), "\n", " / "), "", ""}}
	}
	return rows
}

// outcome is what one go test -bench run gave: metrics by benchmark and
// unit, or why there are none.
type outcome struct {
	metrics map[string]map[string]float64
	skipped string
	failed  string
}

var (
	benchLine   = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)
	testLogLine = regexp.MustCompile(`^\s+\S+_test\.go:\d+: (.*)$`)
)

func runBench(r run, verbose bool) *outcome {
	cmd := exec.Command("go", "test", "-count=1", "-run", "^$", "-bench", r.bench, "-benchtime", r.benchtime, "-timeout", "30m", "-v", r.pkg)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if verbose {
		os.Stderr.Write(out.Bytes())
	}
	o := &outcome{metrics: map[string]map[string]float64{}}
	sc := bufio.NewScanner(&out)
	lastMsg := ""
	for sc.Scan() {
		line := sc.Text()
		if m := benchLine.FindStringSubmatch(line); m != nil {
			o.metrics[m[1]] = parseMetrics(m[2])
		}
		if m := testLogLine.FindStringSubmatch(line); m != nil {
			lastMsg = m[1]
		}
		if strings.Contains(line, "--- SKIP:") && o.skipped == "" {
			o.skipped = lastMsg
			if o.skipped == "" {
				o.skipped = "no reason given"
			}
		}
	}
	if err != nil && len(o.metrics) == 0 {
		o.failed = lastLines(out.String(), 3)
	}
	return o
}

// parseMetrics reads "123 ns/op  4.5 copy-s ..." pairs.
func parseMetrics(s string) map[string]float64 {
	f := strings.Fields(s)
	m := map[string]float64{}
	for i := 0; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			continue
		}
		m[f[i+1]] = v
	}
	return m
}

func printTable(w io.Writer, results map[run]*outcome, filter *regexp.Regexp, mesh [][4]string) {
	fmt.Fprintf(w, "Machine: %s\n", machine())
	fmt.Fprintf(w, "Date: %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "| figure\t| value\t| goal\t| met\t|")
	fmt.Fprintln(tw, "|---\t|---\t|---\t|---\t|")
	for _, f := range figures {
		if filter != nil && !filter.MatchString(f.label) {
			continue
		}
		o := results[f.run]
		value, met := "", ""
		v, ok := o.metrics[f.name][f.unit]
		switch {
		case ok:
			value = format(v*f.scale) + " " + f.show
			if f.ok != nil {
				met = map[bool]string{true: "yes", false: "NO"}[f.ok(v*f.scale)]
			}
		case o.skipped != "":
			value = "skipped: " + o.skipped
		case o.failed != "":
			value = "failed: " + strings.ReplaceAll(o.failed, "\n", " / ")
		default:
			value = "not reported"
		}
		fmt.Fprintf(tw, "| %s\t| %s\t| %s\t| %s\t|\n", f.label, value, f.goal, met)
	}
	for _, r := range mesh {
		fmt.Fprintf(tw, "| %s\t| %s\t| %s\t| %s\t|\n", r[0], r[1], r[2], r[3])
	}
	tw.Flush()
}

func format(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// machine describes where the figures were measured.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(line[strings.Index(line, ":")+1:])
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %f kB", &kb)
		mem = fmt.Sprintf(", %.0f GiB", kb/1024/1024)
	}
	return fmt.Sprintf("%s, %d cores%s, %s/%s, %s", cpu, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
