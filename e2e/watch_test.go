package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"microwizard/lobsters/seed"
)

// watchRun is a running `svctl watch` and what it printed so far.
type watchRun struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  strings.Builder
	done chan struct{}
}

func (c *cluster) startWatch(args ...string) *watchRun {
	w := &watchRun{done: make(chan struct{})}
	w.cmd = exec.Command(filepath.Join(c.bin, "svctl"), append([]string{"watch", "-var", "dsn=" + c.dsn}, args...)...)
	w.cmd.Dir, w.cmd.Env = c.repo, c.env
	pipe, err := w.cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	w.cmd.Stderr = w.cmd.Stdout
	if err := w.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = w.cmd.Process.Kill() })
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			w.mu.Lock()
			w.out.WriteString(sc.Text() + "\n")
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *watchRun) printed() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

// TestWatch: svctl watch runs the working tree, and on a saved change runs
// the new copy and stops the old instance with no failed request under 50
// requests a second; a compile error leaves the running instance; Ctrl-C
// leaves the last instance running and says which.
func TestWatch(t *testing.T) {
	c := newCluster(t, seed.Small)
	w := c.startWatch("lobsters-popularity", "lobpop_w")
	c.waitFor("svctl watch's first instance", 2*time.Minute, func() bool { return strings.Contains(w.printed(), "==> watching") })
	first := allocIDs(c.instances())
	if len(first) != 1 {
		t.Fatalf("%d instances after svctl watch started, want 1", len(first))
	}
	c.waitFor("the first instance answering", 30*time.Second, func() bool { return c.popular().Instance == first[0] })

	// A saved change to a file the service is built from.
	users := filepath.Join(c.repo, "popularity", "users.go")
	src, err := os.ReadFile(users)
	if err != nil {
		t.Fatal(err)
	}
	load := c.loadAt(50, c.client)
	if err := os.WriteFile(users, append(src, []byte("\n// an edit svctl watch sees\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	c.waitFor("the new instance to replace the old", 2*time.Minute, func() bool {
		return strings.Count(w.printed(), "runs as job") == 1
	})
	time.Sleep(time.Second)
	pages := load.finish()
	noneFailed(t, "svctl watch replacing the instance", pages)
	now := allocIDs(c.instances())
	if len(now) != 1 || now[0] == first[0] {
		t.Fatalf("instances after the change: %v, want one new instance instead of %v", now, first)
	}
	if last := pages[len(pages)-1]; last.Instance != now[0] {
		t.Fatalf("the last load was answered by %s, want the new instance %s", last.Instance, now[0])
	}

	// A compile error: shown, and the instance stays.
	if err := os.WriteFile(users, append(src, []byte("\nfunc broken( {\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	c.waitFor("the compile error", 2*time.Minute, func() bool {
		return strings.Contains(w.printed(), "does not compile") && strings.Contains(w.printed(), "keeps running as job")
	})
	if ids := allocIDs(c.instances()); len(ids) != 1 || ids[0] != now[0] {
		t.Fatalf("after a compile error the instances are %v, want %v still", ids, now)
	}
	if p := c.popular(); !p.ok() {
		t.Fatalf("after a compile error: %v", p)
	}

	// Ctrl-C: the last instance stays, and svctl says which.
	_ = w.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("svctl watch did not end within 30 s of Ctrl-C:\n%s", w.printed())
	}
	if err := w.cmd.Wait(); err != nil {
		t.Fatalf("svctl watch after Ctrl-C: %v\n%s", err, w.printed())
	}
	if !strings.Contains(w.printed(), "left lobpop_w running as job") {
		t.Fatalf("svctl watch did not say what it left running:\n%s", w.printed())
	}
	if ids := allocIDs(c.instances()); len(ids) != 1 || ids[0] != now[0] {
		t.Fatalf("after Ctrl-C the instances are %v, want %v still", ids, now)
	}
}

// BenchmarkWatch measures svctl watch's loop on real Nomad: from a saved
// edit to the first /popular answer from the new code (an instance not seen
// before), against a plain `svctl run` of the same kind of change, timed the
// same way, in the same run. Medians of 3. Goal: at most 1.3× the run.
func BenchmarkWatch(b *testing.B) {
	c := newCluster(b, seed.Default.Scale(0.05))
	c.svctl("run", "lobsters-popularity", "lobpop_warm", "UNCOMMITTED_COPY") // warms the build cache
	w := c.startWatch("lobsters-popularity", "lobpop_w")
	c.waitFor("svctl watch's first instance", 2*time.Minute, func() bool { return strings.Contains(w.printed(), "==> watching") })
	users := filepath.Join(c.repo, "popularity", "users.go")
	src, err := os.ReadFile(users)
	if err != nil {
		b.Fatal(err)
	}
	copyTree := b.TempDir()
	c.run("cp", "-a", c.repo+"/.", copyTree)
	there := c.shell
	there.repo = copyTree
	seen := map[string]bool{}
	for _, id := range allocIDs(c.instances()) {
		seen[id] = true
	}
	// firstNew waits for a /popular answer from an instance not seen before.
	firstNew := func(what string) {
		c.waitFor(what, 2*time.Minute, func() bool {
			p := c.popular()
			return p.ok() && !seen[p.Instance]
		})
		for _, id := range allocIDs(c.instances()) {
			seen[id] = true
		}
	}
	var watchS, runS []float64
	for i := 0; i < 3; i++ {
		edit := []byte(src)
		edit = append(edit, []byte("\n// edit "+strconv.Itoa(i)+"\n")...)
		start := time.Now()
		if err := os.WriteFile(users, edit, 0o644); err != nil {
			b.Fatal(err)
		}
		firstNew("the watched change answering")
		watchS = append(watchS, time.Since(start).Seconds())
		c.waitFor("the replaced instance gone", time.Minute, func() bool { return len(c.instances()) == 2 })

		// The same kind of change, run by hand from a copy of the tree the
		// watch does not see (so that neither build finds the other's
		// result in Go's cache).
		other := filepath.Join(copyTree, "popularity", "users.go")
		if err := os.WriteFile(other, append([]byte(src), []byte("\n// run edit "+strconv.Itoa(i)+"\n")...), 0o644); err != nil {
			b.Fatal(err)
		}
		name := "lobpop_r" + strconv.Itoa(i)
		start = time.Now()
		there.run(filepath.Join(c.bin, "svctl"), "run", "-var", "dsn="+c.dsn, "lobsters-popularity", name, "UNCOMMITTED_COPY")
		firstNew("the run answering")
		runS = append(runS, time.Since(start).Seconds())
		c.svctl("stop", name)
	}
	_ = w.cmd.Process.Signal(syscall.SIGINT)
	<-w.done
	b.ReportMetric(median64(watchS), "watch-edit-to-answer-s")
	b.ReportMetric(median64(runS), "run-to-answer-s")
	b.ReportMetric(median64(watchS)/median64(runS), "watch-vs-run-x")
}
