package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"microwizard/internal/svctl/record"
	"microwizard/lobsters/reader"
)

// svctlProcess is an svctl command that runs until Ctrl-C (`logs -f`,
// `watch`) started by a test: every line it printed, stdout and stderr
// (svctl's own notes) together.
type svctlProcess struct {
	t     testing.TB
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

func startSvctl(t testing.TB, bin, dir string, env []string, args ...string) *svctlProcess {
	t.Helper()
	f := &svctlProcess{t: t, cmd: exec.Command(filepath.Join(bin, "svctl"), args...), done: make(chan struct{})}
	f.cmd.Dir, f.cmd.Env = dir, env
	stdout, err := f.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	f.cmd.Stderr = f.cmd.Stdout
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(f.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			f.mu.Lock()
			f.lines = append(f.lines, sc.Text())
			f.mu.Unlock()
		}
	}()
	t.Cleanup(func() { _ = f.cmd.Process.Kill() })
	return f
}

func (f *svctlProcess) text() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.lines, "\n")
}

// rssKB is the process's resident memory now, in KiB.
func (f *svctlProcess) rssKB() int64 {
	f.t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", f.cmd.Process.Pid))
	if err != nil {
		f.t.Fatalf("read svctl's memory: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				f.t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb
		}
	}
	f.t.Fatal("no VmRSS in /proc status")
	return 0
}

// stop ends the command with Ctrl-C, as its user would; it must exit 0.
func (f *svctlProcess) stop() {
	f.t.Helper()
	_ = f.cmd.Process.Signal(syscall.SIGINT)
	exited := make(chan error, 1)
	go func() { <-f.done; exited <- f.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			f.t.Errorf("%s after Ctrl-C: %v\n%s", strings.Join(f.cmd.Args, " "), err, tail(f.text(), 20))
		}
	case <-time.After(5 * time.Second):
		f.t.Fatalf("%s still runs 5 s after Ctrl-C", strings.Join(f.cmd.Args, " "))
	}
}

var (
	servedRE  = regexp.MustCompile(`^\[([0-9a-f]{8}) stderr\] .*msg=served .*\bn=(\d+)`)
	stoppedRE = regexp.MustCompile(`^\[([0-9a-f]{8}) stderr\] .*msg=stopped .*\bserved=(\d+)`)
)

// requestLines checks, for every instance that said how many requests it
// served when it stopped, that the follow shows each of its request lines
// n=1..served exactly once. It returns the number of instances and lines
// checked.
func requestLines(t testing.TB, text string) (instances, lines int) {
	t.Helper()
	seen := map[string]map[int]int{}
	total := map[string]int{}
	for _, l := range strings.Split(text, "\n") {
		if m := servedRE.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[2])
			if seen[m[1]] == nil {
				seen[m[1]] = map[int]int{}
			}
			seen[m[1]][n]++
		}
		if m := stoppedRE.FindStringSubmatch(l); m != nil {
			total[m[1]], _ = strconv.Atoi(m[2])
		}
	}
	for id, n := range total {
		for k := 1; k <= n; k++ {
			switch c := seen[id][k]; c {
			case 1:
			case 0:
				t.Errorf("instance %s: request line n=%d of %d is missing from svctl logs -f", id, k, n)
			default:
				t.Errorf("instance %s: request line n=%d of %d is there %d times", id, k, n, c)
			}
		}
		if len(seen[id]) > n {
			t.Errorf("instance %s said it served %d, but svctl logs -f shows %d distinct request lines", id, n, len(seen[id]))
		}
		lines += n
	}
	return len(total), lines
}

// steady loads url at rate a second until finish; it counts the loads that
// failed, and those each instance answered.
type steady struct {
	// phase is what the test is doing, for the record of a failed load.
	phase  atomic.Value
	stop   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	total  int
	failed []string
	by     map[string]int
}

func loadSteadily(client *http.Client, url string, rate int) *steady {
	s := &steady{stop: make(chan struct{}), by: map[string]int{}}
	s.phase.Store("")
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				p, err := reader.Get(context.Background(), client, url)
				s.mu.Lock()
				defer s.mu.Unlock()
				s.total++
				if err != nil || !p.PopularOK() {
					s.failed = append(s.failed, fmt.Sprintf("%s, during %s: %v %v", time.Now().Format("15:04:05.000"), s.phase.Load(), err, p))
					return
				}
				s.by[record.ShortID(p.Instance)]++
			}()
		}
	}()
	return s
}

// during says what the test does from now on.
func (s *steady) during(what string) { s.phase.Store(what) }

func (s *steady) finish() (total int, failed []string, by map[string]int) {
	close(s.stop)
	s.wg.Wait()
	return s.total, s.failed, s.by
}

// TestLogsFollowAcrossAClientRestart: on a real multi-node cluster,
// `svctl logs -f` follows an instance under load for over two minutes, across
// a restart of the Nomad client agent on its node (the allocation lives on):
// it says the stream was lost and resumed, and shows every request line the
// instance wrote exactly once; no load fails.
func TestLogsFollowAcrossAClientRestart(t *testing.T) {
	c := startMultiNode(t)
	c.svctl("run", "-var", "node=n1", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	rows := c.instances()
	if len(rows) != 1 {
		t.Fatalf("instances: %+v", rows)
	}
	c.waitServing(rows[0].AllocID)
	began := time.Now()
	f := startSvctl(t, c.bin, c.repo, c.env, "logs", "-f", "lobpop_v1")
	load := loadSteadily(c.client, c.web+"/popular", 10)

	time.Sleep(40 * time.Second)
	t.Log("restarting the Nomad client agent of n1")
	pidFile := filepath.Join(c.state, "n1", "nomad.pid")
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("%s: %v", pidFile, err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c.waitFor("n1's Nomad client to exit", 30*time.Second, func() bool { return syscall.Kill(pid, 0) != nil })
	time.Sleep(5 * time.Second) // the follow finds the agent gone
	c.run(filepath.Join(repoRoot(t), "scripts", "cluster-up"), c.state)

	time.Sleep(time.Until(began.Add(2*time.Minute + 10*time.Second)))
	total, failed, by := load.finish()
	// Its last line: stopping it while followed.
	c.svctl("stop", "lobpop_v1")
	c.waitFor("svctl logs -f to say the instance ended", 60*time.Second, func() bool {
		return strings.Contains(f.text(), "ended (complete)")
	})
	f.stop()
	text := f.text()
	if !strings.Contains(text, "lost the log stream") || !strings.Contains(text, "resumed the log stream") {
		t.Errorf("svctl logs -f does not say it lost and resumed the stream across the restart:\n%s", notes(text))
	}
	instances, lines := requestLines(t, text)
	if instances != 1 {
		t.Fatalf("%d instances said how many requests they served, want 1:\n%s", instances, tail(text, 30))
	}
	short := record.ShortID(rows[0].AllocID)
	if lines < by[short] {
		t.Errorf("the instance said it served %d requests, fewer than the %d loads it answered", lines, by[short])
	}
	if len(failed) > 0 {
		t.Errorf("%d of %d loads failed, the first: %s", len(failed), total, failed[0])
	}
	t.Logf("followed %s for %s across a client restart: %d request lines, each once; %d loads, none failed; svctl's notes:\n%s",
		short, time.Since(began).Round(time.Second), lines, total, notes(text))
}

// notes are the lines svctl itself wrote into a follow.
func notes(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "svctl: ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
