package logs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// fakeLogs stands in for Nomad's log endpoint (package docs of the API
// client: an offset counts from the start of the oldest log file; a frame
// names the file it came from), and cuts every stream after cutAfter bytes,
// as an agent restart does. Its allocation's task writes lines, rotating its
// log file every rotate bytes.
type fakeLogs struct {
	mu        sync.Mutex
	files     map[string][]string // stream -> its log files' contents, oldest first
	status    string              // the allocation's client status
	cutAfter  int
	rotate    int
	cuts      int
	unstarted bool // its task's start is not reported yet
}

const fakeTask = "svc"

func (s *fakeLogs) alloc() *nomad.Allocation {
	group := "g"
	return &nomad.Allocation{ID: "0123456789abcdef", TaskGroup: group,
		Job:        &nomad.Job{TaskGroups: []*nomad.TaskGroup{{Name: &group, Tasks: []*nomad.Task{{Name: fakeTask}}}}},
		TaskStates: map[string]*nomad.TaskState{fakeTask: {StartedAt: time.Now()}}}
}

// write appends a line to a stream's newest file, rotating as Nomad's
// logmon does.
func (s *fakeLogs) write(stream, line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.files[stream]
	if len(fs) == 0 || len(fs[len(fs)-1]) >= s.rotate {
		fs = append(fs, "")
	}
	fs[len(fs)-1] += line + "\n"
	s.files[stream] = fs
}

func (s *fakeLogs) Info(ctx context.Context, id string) (*nomad.Allocation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.alloc()
	a.ClientStatus = s.status
	if s.unstarted {
		a.TaskStates[fakeTask].StartedAt = time.Time{}
	}
	return a, nil
}

func (s *fakeLogs) Files(ctx context.Context, alloc *nomad.Allocation) ([]*nomad.AllocFileInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*nomad.AllocFileInfo
	for stream, fs := range s.files {
		for i, c := range fs {
			out = append(out, &nomad.AllocFileInfo{Name: fmt.Sprintf("%s.%s.%d", fakeTask, stream, i), Size: int64(len(c))})
		}
	}
	return out, nil
}

func (s *fakeLogs) Logs(ctx context.Context, alloc *nomad.Allocation, task, stream string, offset int64, follow bool, stop <-chan struct{}) (<-chan *nomad.StreamFrame, <-chan error) {
	frames, errc := make(chan *nomad.StreamFrame, 10), make(chan error, 1)
	go func() {
		// Find the file that holds offset, as Nomad's findClosest does.
		s.mu.Lock()
		idx, off := 0, int(offset)
		for fs := s.files[stream]; idx < len(fs)-1 && off > len(fs[idx]); idx++ {
			off -= len(fs[idx])
		}
		s.mu.Unlock()
		sent := 0
		for {
			s.mu.Lock()
			fs := s.files[stream]
			var chunk string
			if idx < len(fs) && off < len(fs[idx]) {
				chunk = fs[idx][off:min(off+7, len(fs[idx]))]
			}
			next := idx < len(fs)-1 && off >= len(fs[idx])
			s.mu.Unlock()
			switch {
			case chunk != "":
				if sent >= s.cutAfter {
					s.mu.Lock()
					s.cuts++
					s.mu.Unlock()
					errc <- errors.New("connection reset by peer")
					return
				}
				fr := &nomad.StreamFrame{File: fmt.Sprintf("alloc/logs/%s.%s.%d", task, stream, idx), Data: []byte(chunk)}
				select {
				case frames <- fr:
				case <-ctx.Done():
					errc <- ctx.Err()
					return
				case <-stop:
					return
				}
				off += len(chunk)
				sent += len(chunk)
			case next:
				idx, off = idx+1, 0
			case !follow:
				close(frames)
				return
			default:
				select {
				case <-ctx.Done():
					errc <- ctx.Err()
					return
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		}
	}()
	return frames, errc
}

// TestAFollowCutAgainAndAgainLosesNoLineAndRepeatsNone: the agent cuts
// every stream after a few dozen bytes while the task writes and rotates its
// logs; the follow resumes each time where it was, and once the allocation
// ends it reads the last lines, says so once, and returns nothing more.
func TestAFollowCutAgainAndAgainLosesNoLineAndRepeatsNone(t *testing.T) {
	src := &fakeLogs{files: map[string][]string{}, status: "running", cutAfter: 40, rotate: 100}
	const n = 300
	for i := 0; i < 20; i++ { // some were there before the follow
		src.write("stdout", fmt.Sprintf("request n=%d", i+1))
	}
	src.files["stderr"] = []string{""}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var lines, notes []string
	emit := func(l Line) {
		mu.Lock()
		defer mu.Unlock()
		if l.AllocID == "" {
			notes = append(notes, l.Text)
			return
		}
		lines = append(lines, l.Text)
	}
	instances := func() ([]*nomad.AllocationListStub, error) {
		src.mu.Lock()
		defer src.mu.Unlock()
		if src.status != "running" {
			return nil, nil
		}
		return []*nomad.AllocationListStub{{ID: "0123456789abcdef", ClientStatus: "running", DesiredStatus: "run"}}, nil
	}
	done := make(chan error, 1)
	go func() {
		done <- stream(ctx, src, instances, Options{Follow: true, Tail: -1}, emit, time.Millisecond)
	}()
	for i := 20; i < n; i++ {
		src.write("stdout", fmt.Sprintf("request n=%d", i+1))
		if i%50 == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	src.mu.Lock()
	src.status = "complete" // the last lines are written before it ends
	src.mu.Unlock()
	deadline := time.After(30 * time.Second)
	for {
		mu.Lock()
		ended := 0
		for _, note := range notes {
			if strings.Contains(note, "ended (complete)") {
				ended++
			}
		}
		mu.Unlock()
		if ended > 0 {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("the follow never said the instance ended; notes: %q", notes)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != n {
		t.Errorf("%d lines shown, want %d", len(lines), n)
	}
	for i, l := range lines {
		if want := fmt.Sprintf("request n=%d", i+1); l != want {
			t.Fatalf("line %d is %q, want %q (lost or repeated around a cut)", i+1, l, want)
		}
	}
	ended := 0
	for _, note := range notes {
		if strings.Contains(note, "ended") {
			ended++
		}
	}
	if ended != 1 {
		t.Errorf("the end of the instance was said %d times, want once: %q", ended, notes)
	}
	if src.cuts < 10 {
		t.Errorf("only %d cuts: the test did not test resuming", src.cuts)
	}
	t.Logf("%d lines across %d cuts; notes: %d", len(lines), src.cuts, len(notes))
}

// TestAnInstanceToldToStopBeforeItWasFollowedIsStillShown: the follow saw
// the allocation before its start was reported; by the next poll it was
// told to stop (no longer listed), but it had started and served: its lines
// are shown, and its end.
func TestAnInstanceToldToStopBeforeItWasFollowedIsStillShown(t *testing.T) {
	src := &fakeLogs{files: map[string][]string{"stderr": {""}}, status: "running", cutAfter: 1 << 30, rotate: 1 << 20, unstarted: true}
	var mu sync.Mutex
	listed := true
	instances := func() ([]*nomad.AllocationListStub, error) {
		mu.Lock()
		defer mu.Unlock()
		if !listed {
			return nil, nil
		}
		return []*nomad.AllocationListStub{{ID: "0123456789abcdef", ClientStatus: "pending", DesiredStatus: "run"}}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen sync.Mutex
	var lines, notes []string
	emit := func(l Line) {
		seen.Lock()
		defer seen.Unlock()
		if l.AllocID == "" {
			notes = append(notes, l.Text)
			return
		}
		lines = append(lines, l.Text)
	}
	done := make(chan error, 1)
	go func() { done <- stream(ctx, src, instances, Options{Follow: true, Tail: -1}, emit, time.Millisecond) }()
	time.Sleep(100 * time.Millisecond) // the first listing: seen, not started
	src.mu.Lock()
	src.unstarted = false // it started, served, and is told to stop
	src.mu.Unlock()
	src.write("stdout", "served n=1")
	mu.Lock()
	listed = false
	mu.Unlock()
	time.Sleep(1500 * time.Millisecond) // a poll follows it
	src.mu.Lock()
	src.status = "complete"
	src.mu.Unlock()
	deadline := time.After(10 * time.Second)
	for {
		seen.Lock()
		ended := false
		for _, n := range notes {
			ended = ended || strings.Contains(n, "ended (complete)")
		}
		seen.Unlock()
		if ended {
			break
		}
		select {
		case <-deadline:
			cancel()
			<-done
			seen.Lock()
			defer seen.Unlock()
			t.Fatalf("the follow never said the instance ended; lines %q, notes %q", lines, notes)
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	seen.Lock()
	defer seen.Unlock()
	if len(lines) != 1 || lines[0] != "served n=1" {
		t.Fatalf("lines shown: %q, want the one it wrote", lines)
	}
}
