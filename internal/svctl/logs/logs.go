// Package logs streams the logs of a version's instances from Nomad: every
// allocation's stdout and stderr, line by line, each line told apart by its
// instance and stream, following new instances as they start.
package logs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/svctl/agents"
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

// poll is how often a follow looks for new instances and ended ones.
const poll = time.Second

// maxBackoff bounds the wait between tries to reach an agent again.
const maxBackoff = 30 * time.Second

// tailBytesPerLine is how far back from a log's end a tail of N lines
// starts reading, per line (as `nomad alloc logs -tail` does); more lines
// than asked are dropped.
const tailBytesPerLine = 512

// Stream writes the lines of instances' logs to emit, which is called from
// one goroutine at a time. Without Follow it returns once every log has been
// read; with it, when ctx ends. While following, a stream the agent cuts, or
// that carries nothing for the agents' idle time, is resumed where it was, so
// no line is lost or repeated; an instance that ends is read to its end, said
// once, and dropped.
func Stream(ctx context.Context, nc *nomad.Client, instances Instances, opts Options, emit func(Line)) error {
	return stream(ctx, nomadSource{nc}, instances, opts, emit, poll)
}

// allocState is what a follow knows of one allocation's followers.
type allocState struct {
	finish chan struct{} // closed: the allocation ended; read to the end and stop
	status string        // why it ended, for the note
}

// stream is Stream from any source; a cut stream is resumed retry after the
// cut at first, then less and less often.
func stream(ctx context.Context, src source, instances Instances, opts Options, emit func(Line), retry time.Duration) error {
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		errs    []error
		started = map[string]*allocState{} // every allocation followed, ended ones too
		waiting = map[string]bool{}        // seen, but its task had not started yet
	)
	out := func(l Line) {
		mu.Lock()
		defer mu.Unlock()
		emit(l)
	}
	note := func(format string, args ...any) { out(Line{Stream: "svctl", Text: fmt.Sprintf(format, args...)}) }
	cutoff := time.Time{}
	if opts.Since > 0 {
		cutoff = time.Now().Add(-opts.Since)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	first := true // -tail and -since judge what was there at the start
	startNew := func(allocs []*nomad.AllocationListStub) error {
		defer func() { first = false }()
		for _, stub := range allocs {
			if started[stub.ID] != nil {
				continue
			}
			alloc, err := src.Info(ctx, stub.ID)
			if isNotFound(err) {
				delete(waiting, stub.ID) // gone between the list and now
				continue
			}
			if err != nil {
				return fmt.Errorf("read allocation %s: %w", stub.ID, err)
			}
			task, err := taskOf(alloc, opts.Sidecar)
			if err != nil {
				return err
			}
			if st := alloc.TaskStates[task]; opts.Follow && (st == nil || st.StartedAt.IsZero()) {
				// Not started, or its start not yet reported to the
				// servers: no logs yet; a later poll takes it, even once
				// it is told to stop (it may have started meanwhile).
				if terminal(alloc.ClientStatus) {
					delete(waiting, stub.ID) // it ended without starting
				} else {
					waiting[stub.ID] = true
				}
				continue
			}
			delete(waiting, stub.ID)
			o, from := opts, cutoff
			if !first {
				// Started while following: everything it wrote is new.
				o.Tail, o.Since, from = -1, 0, time.Time{}
			}
			state := &allocState{finish: make(chan struct{})}
			started[stub.ID] = state
			var streams sync.WaitGroup
			for _, name := range []string{"stdout", "stderr"} {
				wg.Add(1)
				streams.Add(1)
				go func() {
					defer wg.Done()
					defer streams.Done()
					f := &follower{src: src, alloc: alloc, task: task, stream: name, opts: o, cutoff: from, emit: out, note: note, finish: state.finish, retry: retry}
					if err := f.run(ctx); err != nil && ctx.Err() == nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}()
			}
			if opts.Follow {
				wg.Add(1)
				go func() {
					defer wg.Done()
					streams.Wait()
					select {
					case <-state.finish: // its status was set before
						if ctx.Err() == nil {
							note("instance %s ended (%s): its logs are complete above", shortID(alloc.ID), state.status)
						}
					default: // its streams failed: their error says why
					}
				}()
			}
		}
		return nil
	}
	allocs, err := instances()
	if err == nil {
		err = startNew(allocs)
	}
	if err != nil {
		cancel()
		wg.Wait()
		return err
	}
	if opts.Follow {
		follow(ctx, src, instances, started, waiting, startNew, note)
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// follow polls for new instances and ended ones until ctx ends. An agent
// that does not answer is said once, then asked again with back-off.
func follow(ctx context.Context, src source, instances Instances, started map[string]*allocState, waiting map[string]bool,
	startNew func([]*nomad.AllocationListStub) error, note func(string, ...any)) {
	wait, failing := poll, ""
	for {
		if sleep(ctx, wait) != nil {
			return
		}
		err := checkInstances(ctx, src, instances, started, waiting, startNew)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if failing == "" {
				note("cannot follow the instances: %v; trying again, less and less often", err)
			}
			failing = err.Error()
			wait = min(2*wait, maxBackoff)
		default:
			if failing != "" {
				note("following the instances again")
			}
			failing, wait = "", poll
		}
	}
}

// checkInstances starts following new instances, and those seen before
// their start that have started since (even if told to stop meanwhile), and
// finishes the ended ones.
func checkInstances(ctx context.Context, src source, instances Instances, started map[string]*allocState, waiting map[string]bool,
	startNew func([]*nomad.AllocationListStub) error) error {
	allocs, err := instances()
	if err != nil {
		return err
	}
	live := map[string]bool{}
	for _, a := range allocs {
		live[a.ID] = true
	}
	for _, id := range slices.Sorted(maps.Keys(waiting)) {
		if !live[id] {
			allocs = append(allocs, &nomad.AllocationListStub{ID: id})
		}
	}
	for _, a := range allocs {
		if terminal(a.ClientStatus) {
			delete(live, a.ID)
		}
	}
	for id, st := range started {
		if live[id] || st.status != "" {
			continue
		}
		// No longer desired to run (stopped: it may still serve through
		// its shutdown delay), or ended: its own status decides.
		a, err := src.Info(ctx, id)
		switch {
		case isNotFound(err):
			st.status = "gone from Nomad"
		case err != nil:
			return fmt.Errorf("read allocation %s: %w", id, err)
		case terminal(a.ClientStatus):
			st.status = a.ClientStatus
		default:
			continue
		}
		close(st.finish)
	}
	return startNew(allocs)
}

func terminal(clientStatus string) bool {
	switch clientStatus {
	case "complete", "failed", "lost":
		return true
	}
	return false
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
	src    source
	alloc  *nomad.Allocation
	task   string
	stream string
	opts   Options
	cutoff time.Time
	emit   func(Line)
	note   func(string, ...any)
	finish <-chan struct{} // closed when the allocation has ended

	// Where the stream is: the log file the last byte read came from and
	// how far into it. A stream resumed starts there.
	file   string
	pos    int64
	start  int64         // the offset of the first read
	opened bool          // the first read was made
	lost   bool          // cut, and not yet resumed
	retry  time.Duration // the first wait before resuming; it doubles

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

// errFinish ends a followed stream when its allocation has ended.
var errFinish = errors.New("the allocation ended")

// run reads the stream until it ends (a plain read), or until ctx ends or
// the allocation has ended and its last bytes are read (a follow).
func (f *follower) run(ctx context.Context) error {
	defer f.flush()
	if err := f.open(ctx); err != nil {
		return err
	}
	follow := f.opts.Follow
	wait, lastTries := time.Duration(0), 0
	for {
		err := f.read(ctx, follow)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, errFinish):
			follow = false // read what is left, to the end
			continue
		case err == nil && !follow:
			return nil // read to its end
		case !f.opts.Follow:
			return fmt.Errorf("logs of %s %s: %w", f.alloc.ID, f.stream, err)
		case err == nil:
			err = errors.New("the agent ended the stream")
		}
		// Cut while following: resume where it was, with back-off.
		if !follow {
			if lastTries++; lastTries > 5 {
				f.note("could not read the last lines of %s %s: %v", shortID(f.alloc.ID), f.stream, err)
				return nil
			}
		}
		if !f.lost {
			f.note("lost the log stream of %s %s (%v); resuming from byte %d of %s", shortID(f.alloc.ID), f.stream, err, f.pos, f.fileText())
			f.lost, wait = true, 0
		}
		wait = min(max(2*wait, f.retry), maxBackoff)
		select {
		case <-ctx.Done():
			return nil
		case <-f.finish:
			follow = false
		case <-time.After(wait):
		}
	}
}

// open finds where the stream starts: the start of its first log file, or
// the tail's backlog before the end; and how much of it was there.
func (f *follower) open(ctx context.Context) error {
	files, err := f.files(ctx)
	if err != nil {
		return err
	}
	total := int64(0)
	for _, fi := range files {
		total += fi.Size
	}
	start := int64(0)
	if f.opts.Tail >= 0 {
		f.backlog = min(total, int64(max(f.opts.Tail, 1)*tailBytesPerLine))
		if f.opts.Tail == 0 {
			f.backlog = 0
		}
		start = total - f.backlog
		f.skipFirst = start > 0 // the tail's first line is likely cut
	}
	f.existing = total - start // -since judges these bytes only; what comes after is new
	f.start = start
	// Where Nomad will start reading, as it finds it: the first file that
	// holds the offset.
	off := start
	for i, fi := range files {
		if off <= fi.Size || i == len(files)-1 {
			f.file, f.pos = fi.Name, min(off, fi.Size)
			break
		}
		off -= fi.Size
	}
	return nil
}

// offset is where to read from now: the first time, the start open found;
// after that, the byte after the last one read, counted over the log files
// there are now (Nomad counts an offset from the start of the oldest).
func (f *follower) offset(ctx context.Context) (int64, error) {
	if !f.opened {
		f.opened = true
		return f.start, nil
	}
	if f.file == "" {
		return f.start, nil
	}
	files, err := f.files(ctx)
	if err != nil {
		return 0, err
	}
	before := int64(0)
	for _, fi := range files {
		if fi.Name == f.file {
			return before + f.pos, nil
		}
		before += fi.Size
	}
	return 0, fmt.Errorf("log file %s is gone (rotated away)", f.file)
}

// read streams from where the stream is. It returns nil when the stream
// ended by itself, errFinish when the allocation ended while following, and
// the error that cut it otherwise.
func (f *follower) read(ctx context.Context, follow bool) error {
	offset, err := f.offset(ctx)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sctx, cut := agents.WatchStream(sctx)
	stop := make(chan struct{})
	defer close(stop)
	frames, errc := f.src.Logs(sctx, f.alloc, f.task, f.stream, offset, follow, stop)
	drain := func() {
		// Let the API client's reader end: it may be blocked handing over
		// a frame.
		go func() {
			for {
				select {
				case _, ok := <-frames:
					if !ok {
						return
					}
				case <-errc:
					return
				}
			}
		}()
	}
	finish := f.finish
	if !follow {
		finish = nil
	}
	for {
		select {
		case <-ctx.Done():
			drain()
			return ctx.Err()
		case <-finish:
			drain()
			return errFinish
		case err := <-errc:
			if cerr := cut.Err(); cerr != nil {
				err = cerr
			} else if err != nil && strings.Contains(err.Error(), "failed to decode log endpoint response") {
				// What Nomad's client says of a connection cut mid-stream.
				err = errors.New("the connection to the agent broke")
			}
			if err == nil {
				err = errors.New("the stream ended with no error")
			}
			return err
		case fr, ok := <-frames:
			if !ok {
				return nil
			}
			if fr == nil || fr.IsHeartbeat() {
				continue
			}
			if fr.File != "" {
				if name := path.Base(fr.File); name != f.file {
					f.file, f.pos = name, 0 // the next file starts at its beginning
				}
			}
			if len(fr.Data) == 0 {
				continue // a file event
			}
			if f.lost {
				f.note("resumed the log stream of %s %s", shortID(f.alloc.ID), f.stream)
				f.lost = false
			}
			f.pos += int64(len(fr.Data))
			f.feed(fr.Data)
		}
	}
}

// files lists the stream's log files, oldest first.
func (f *follower) files(ctx context.Context) ([]*nomad.AllocFileInfo, error) {
	all, err := f.src.Files(ctx, f.alloc)
	if err != nil {
		return nil, fmt.Errorf("list the logs of %s: %w", f.alloc.ID, err)
	}
	prefix := f.task + "." + f.stream + "."
	type indexed struct {
		n  int
		fi *nomad.AllocFileInfo
	}
	var mine []indexed
	for _, fi := range all {
		idx, ok := strings.CutPrefix(fi.Name, prefix)
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(idx); err == nil {
			mine = append(mine, indexed{n, fi})
		}
	}
	slices.SortFunc(mine, func(a, b indexed) int { return a.n - b.n })
	out := make([]*nomad.AllocFileInfo, len(mine))
	for i, m := range mine {
		out[i] = m.fi
	}
	return out, nil
}

func (f *follower) fileText() string {
	if f.file == "" {
		return "its first log file"
	}
	return f.file
}

// existingFed is how many of the bytes fed were there when the stream
// was opened: from where it started, or the tail's backlog.
func (f *follower) existingFed() int64 {
	if f.opts.Tail >= 0 {
		return f.backlog
	}
	return f.existing
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

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
