// Package logs streams the logs of a version's instances from Nomad: every
// allocation's stdout and stderr, line by line, each line told apart by its
// instance and stream, following new instances as they start.
package logs

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// Line is one line of an instance's log.
type Line struct {
	AllocID string `json:"alloc_id"`
	Task    string `json:"task"`
	Stream  string `json:"stream"` // stdout or stderr
	Text    string `json:"line"`
}

// Options say which lines to show.
type Options struct {
	// Follow keeps streaming, and picks up instances started meanwhile,
	// until the context ends.
	Follow bool
	// Tail shows only the last Tail lines of each stream first (-1: all).
	Tail int
	// Since shows only lines written in the last Since (0: all), as their
	// timestamps say (see Since).
	Since time.Duration
	// Sidecar shows the Envoy sidecar task's logs instead of the service's.
	Sidecar bool
}

// Instances lists the live allocations to show; it is asked again every
// poll while following.
type Instances func() ([]*nomad.AllocationListStub, error)

// poll is how often a follow looks for new instances.
const poll = time.Second

// tailBytesPerLine is how far back from a log's end a tail of N lines
// starts reading, per line (as `nomad alloc logs -tail` does); more lines
// than asked are dropped.
const tailBytesPerLine = 512

// Stream writes the lines of instances' logs to emit, which is called from
// one goroutine at a time. Without Follow it returns once every log has been
// read; with it, when ctx ends.
func Stream(ctx context.Context, nc *nomad.Client, instances Instances, opts Options, emit func(Line)) error {
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		errs    []error
		started = map[string]bool{}
	)
	out := func(l Line) {
		mu.Lock()
		defer mu.Unlock()
		emit(l)
	}
	cutoff := time.Time{}
	if opts.Since > 0 {
		cutoff = time.Now().Add(-opts.Since)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	startNew := func() error {
		allocs, err := instances()
		if err != nil {
			return err
		}
		for _, stub := range allocs {
			if started[stub.ID] {
				continue
			}
			alloc, _, err := nc.Allocations().Info(stub.ID, nil)
			if err != nil {
				return fmt.Errorf("read allocation %s: %w", stub.ID, err)
			}
			task, err := taskOf(alloc, opts.Sidecar)
			if err != nil {
				return err
			}
			if st := alloc.TaskStates[task]; opts.Follow && (st == nil || st.StartedAt.IsZero()) {
				// Not started, or its start not yet reported to the
				// servers: no logs yet; the next poll takes it.
				continue
			}
			started[stub.ID] = true
			for _, stream := range []string{"stdout", "stderr"} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					f := follower{nc: nc, alloc: alloc, task: task, stream: stream, opts: opts, cutoff: cutoff, emit: out}
					if err := f.run(ctx); err != nil && ctx.Err() == nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}()
			}
		}
		return nil
	}
	if err := startNew(); err != nil {
		cancel()
		wg.Wait()
		return err
	}
	if opts.Follow {
		tick := time.NewTicker(poll)
		defer tick.Stop()
	loop:
		for {
			select {
			case <-ctx.Done():
				break loop
			case <-tick.C:
				if err := startNew(); err != nil && ctx.Err() == nil {
					out(Line{Stream: "svctl", Text: err.Error()})
				}
			}
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// taskOf names the allocation's service task, or its Connect sidecar's.
func taskOf(alloc *nomad.Allocation, sidecar bool) (string, error) {
	if alloc.Job == nil {
		return "", fmt.Errorf("allocation %s comes without its job", alloc.ID)
	}
	for _, tg := range alloc.Job.TaskGroups {
		if tg.Name == nil || *tg.Name != alloc.TaskGroup {
			continue
		}
		for _, t := range tg.Tasks {
			isSidecar := strings.HasPrefix(string(t.Kind), "connect-proxy")
			if isSidecar == sidecar {
				return t.Name, nil
			}
		}
	}
	what := "service task"
	if sidecar {
		what = "Connect sidecar task"
	}
	return "", fmt.Errorf("allocation %s has no %s", alloc.ID, what)
}

// follower reads one stream of one task.
type follower struct {
	nc     *nomad.Client
	alloc  *nomad.Allocation
	task   string
	stream string
	opts   Options
	cutoff time.Time
	emit   func(Line)

	partial  []byte    // an unfinished line
	last     time.Time // the time of the last line with one, for Since
	existing int64     // bytes the stream held when it was opened

	// The tail: the first backlog bytes of the stream are what was there
	// before; of their lines only the last Tail are shown.
	backlog   int64
	fed       int64      // bytes fed so far
	skipFirst bool       // the backlog starts mid-line
	held      []heldLine // the backlog's lines, until it is complete
	tailDone  bool
}

func (f *follower) run(ctx context.Context) error {
	origin, offset := "start", int64(0)
	if !f.cutoff.IsZero() || f.opts.Tail >= 0 {
		size, err := f.size()
		if err != nil {
			return err
		}
		f.existing = size // -since judges these bytes only; what comes after is new
	}
	if f.opts.Tail >= 0 {
		size := f.existing
		f.backlog = min(size, int64(max(f.opts.Tail, 1)*tailBytesPerLine))
		if f.opts.Tail == 0 {
			f.backlog = 0
		}
		origin, offset = "end", f.backlog
		f.skipFirst = f.backlog < size // the tail's first line is likely cut
	}
	cancel := make(chan struct{})
	defer close(cancel)
	frames, errc := f.nc.AllocFS().Logs(f.alloc, f.opts.Follow, f.task, f.stream, origin, offset, cancel, (&nomad.QueryOptions{}).WithContext(ctx))
	for {
		select {
		case <-ctx.Done():
			f.flush()
			return nil
		case err := <-errc:
			f.flush()
			if err != nil {
				return fmt.Errorf("logs of %s %s: %w", f.alloc.ID, f.stream, err)
			}
			return nil
		case fr, ok := <-frames:
			if !ok {
				f.flush()
				return nil
			}
			if fr == nil || fr.IsHeartbeat() {
				continue
			}
			f.feed(fr.Data)
		}
	}
}

// existingFed is how many of the bytes fed were there when the stream
// was opened: from the start of the newest file, or the tail's backlog.
func (f *follower) existingFed() int64 {
	if f.opts.Tail >= 0 {
		return f.backlog
	}
	return f.existing
}

// size is the current size of the stream's newest log file.
func (f *follower) size() (int64, error) {
	files, _, err := f.nc.AllocFS().List(f.alloc, "alloc/logs", nil)
	if err != nil {
		return 0, fmt.Errorf("list the logs of %s: %w", f.alloc.ID, err)
	}
	prefix := f.task + "." + f.stream + "."
	best, size := -1, int64(0)
	for _, fi := range files {
		idx, ok := strings.CutPrefix(fi.Name, prefix)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(idx)
		if err == nil && n > best {
			best, size = n, fi.Size
		}
	}
	return size, nil
}

// feed takes bytes of the stream and emits its complete lines.
func (f *follower) feed(data []byte) {
	start := f.fed - int64(len(f.partial)) // where f.partial began
	f.fed += int64(len(data))
	f.partial = append(f.partial, data...)
	for {
		i := bytes.IndexByte(f.partial, '\n')
		if i < 0 {
			break
		}
		f.take(string(f.partial[:i]), start+int64(i)+1)
		start += int64(i) + 1
		f.partial = f.partial[i+1:]
	}
	if f.fed >= f.backlog {
		f.endTail()
	}
}

// take is one complete line, ending at byte end of the stream: of the
// tail's backlog, or after it.
func (f *follower) take(text string, end int64) {
	if end <= f.backlog && !f.tailDone {
		f.held = append(f.held, heldLine{text, end})
		return
	}
	f.endTail()
	f.line(text, end)
}

// heldLine is a line of the tail's backlog and where it ends.
type heldLine struct {
	text string
	end  int64
}

// endTail emits the last Tail lines of the backlog, once.
func (f *follower) endTail() {
	if f.tailDone {
		return
	}
	f.tailDone = true
	held := f.held
	if f.skipFirst && len(held) > 0 {
		held = held[1:]
	}
	if f.opts.Tail >= 0 && len(held) > f.opts.Tail {
		held = held[len(held)-f.opts.Tail:]
	}
	for _, l := range held {
		f.line(l.text, l.end)
	}
	f.held = nil
}

// flush emits what is left: the tail, an unfinished line.
func (f *follower) flush() {
	f.endTail()
	if len(f.partial) > 0 {
		f.line(string(f.partial), f.fed)
		f.partial = nil
	}
}

// line emits one line, ending at byte end of the stream, unless Since
// leaves it out: Since judges what the log held when it was opened; lines
// written after are new and all shown.
func (f *follower) line(text string, end int64) {
	if !f.cutoff.IsZero() && end <= f.existingFed() {
		if t, ok := Timestamp(text); ok {
			f.last = t
		}
		if f.last.Before(f.cutoff) {
			return
		}
	}
	f.emit(Line{AllocID: f.alloc.ID, Task: f.task, Stream: f.stream, Text: strings.TrimSuffix(text, "\r")})
}

// Timestamp reads the time a log line starts with: Go's slog text
// ("time=2026-11-29T20:55:29.123Z ..."), Envoy's ("[2026-11-29
// 20:55:29.123][...]", local time) or RFC 3339 as the first word. A line
// without one is shown or not with the line before it.
func Timestamp(line string) (time.Time, bool) {
	switch {
	case strings.HasPrefix(line, "time="):
		word, _, _ := strings.Cut(line[len("time="):], " ")
		t, err := time.Parse(time.RFC3339Nano, word)
		return t, err == nil
	case strings.HasPrefix(line, "[") && len(line) > 24 && line[24] == ']':
		t, err := time.ParseInLocation("2006-01-02 15:04:05.000", line[1:24], time.Local)
		return t, err == nil
	}
	word, _, _ := strings.Cut(line, " ")
	t, err := time.Parse(time.RFC3339Nano, word)
	return t, err == nil
}
