package agents

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// StreamIdle is how long a stream may carry nothing at all before it counts
// as lost. Nomad's log streams send a heartbeat frame every second while the
// log is quiet, so a stream silent this long has an agent behind it that is
// gone or hung.
const StreamIdle = 10 * time.Second

// CleanupGrace is how long a cleanup call (see Cleanup) may still take once
// the command's context has ended: svctl exits within a second of Ctrl-C.
const CleanupGrace = 750 * time.Millisecond

// ErrStreamIdle is why a stream was cut: the agent sent nothing for StreamIdle.
var ErrStreamIdle = fmt.Errorf("the agent sent nothing, not even a heartbeat, for %s", StreamIdle)

type cleanupKey struct{}

// Cleanup returns a context for calls that undo what an interrupted command
// made (purging a job it submitted): not ended by ctx, but given at most
// CleanupGrace once the command's context has ended, so that cleaning up
// never keeps svctl from exiting.
func Cleanup(ctx context.Context) context.Context {
	return context.WithValue(context.WithoutCancel(ctx), cleanupKey{}, true)
}

type streamKey struct{}

// StreamCut records why the transport cut a stream.
type StreamCut struct {
	mu  sync.Mutex
	err error
}

// Err is why the stream was cut by the transport, nil if it was not.
func (s *StreamCut) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *StreamCut) set(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// WatchStream returns a context for one stream's request and where the
// transport says why it cut it (the API client hides that).
func WatchStream(ctx context.Context) (context.Context, *StreamCut) {
	cut := &StreamCut{}
	return context.WithValue(ctx, streamKey{}, cut), cut
}

// transport gives every request the command's context, a time limit unless
// it is a stream, and an idle check if it is.
type transport struct {
	base    http.RoundTripper
	cmd     context.Context
	grace   context.Context // ends CleanupGrace after cmd
	timeout time.Duration
	idle    time.Duration
}

// bind wraps base so that every request ends when cmd ends.
func bind(cmd context.Context, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	grace, endGrace := context.WithCancelCause(context.Background())
	context.AfterFunc(cmd, func() {
		time.AfterFunc(CleanupGrace, func() {
			endGrace(fmt.Errorf("svctl was interrupted, and cleaning up took over %s", CleanupGrace))
		})
	})
	return &transport{base: base, cmd: cmd, grace: grace, timeout: Timeout(), idle: StreamIdle}
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	end := t.cmd
	if req.Context().Value(cleanupKey{}) != nil {
		end = t.grace // once the command has ended, a moment more
	}
	stop := context.AfterFunc(end, func() { cancel(context.Cause(end)) })
	done := func() { stop(); cancel(nil) }
	stream := isStream(req)
	if !stream {
		limit := t.timeout + blockingWait(req)
		tctx, tcancel := context.WithTimeoutCause(ctx, limit, fmt.Errorf("no answer within %s (SVCTL_AGENT_TIMEOUT)", limit))
		ctx, done = tctx, func() { tcancel(); stop(); cancel(nil) }
	}
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		done()
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			err = fmt.Errorf("%w: %w", err, cause)
		}
		return nil, err
	}
	if stream {
		cut, _ := req.Context().Value(streamKey{}).(*StreamCut)
		resp.Body = newIdleBody(resp.Body, t.idle, func() {
			if cut != nil {
				cut.set(ErrStreamIdle)
			}
			cancel(ErrStreamIdle)
		}, done)
		return resp, nil
	}
	resp.Body = &closeBody{ReadCloser: resp.Body, done: done}
	return resp, nil
}

// isStream reports whether the request opens a stream that may last as long
// as the user wants: Nomad's log and file streams, its event stream, and
// Consul's watch-like streams have no overall time limit.
func isStream(req *http.Request) bool {
	p := req.URL.Path
	return strings.HasPrefix(p, "/v1/client/fs/logs/") || strings.HasPrefix(p, "/v1/client/fs/stream/") || p == "/v1/event/stream"
}

// blockingWait is how long a blocking query may wait on the agent (its
// index and wait parameters), 0 for a plain call.
func blockingWait(req *http.Request) time.Duration {
	q := req.URL.Query()
	if q.Get("index") == "" {
		return 0
	}
	if d, err := time.ParseDuration(q.Get("wait")); err == nil && d > 0 {
		return d + d/16 // the agents add up to wait/16 of jitter
	}
	return 5*time.Minute + 5*time.Minute/16 // both agents' default wait
}

// closeBody ends the request's context once its body is closed.
type closeBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *closeBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// idleBody is a stream's body: it is cut (onIdle) when no byte arrives for
// idle.
type idleBody struct {
	io.ReadCloser
	idle   time.Duration
	onIdle func()
	done   func()
	once   sync.Once

	mu     sync.Mutex
	last   time.Time
	closed chan struct{}
}

func newIdleBody(rc io.ReadCloser, idle time.Duration, onIdle, done func()) *idleBody {
	b := &idleBody{ReadCloser: rc, idle: idle, onIdle: onIdle, done: done, last: time.Now(), closed: make(chan struct{})}
	go b.watch()
	return b
}

func (b *idleBody) watch() {
	tick := time.NewTicker(b.idle / 4)
	defer tick.Stop()
	for {
		select {
		case <-b.closed:
			return
		case now := <-tick.C:
			b.mu.Lock()
			quiet := now.Sub(b.last)
			b.mu.Unlock()
			if quiet >= b.idle {
				b.onIdle()
				return
			}
		}
	}
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.mu.Lock()
		b.last = time.Now()
		b.mu.Unlock()
	}
	return n, err
}

func (b *idleBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() {
		close(b.closed)
		b.done()
	})
	return err
}

// Grace returns a context that ends CleanupGrace after ctx does: clients
// made with it (Both(Grace(ctx))) still reach the agents for the cleanup an
// interrupted command owes, and never keep it from exiting.
func Grace(ctx context.Context) context.Context {
	g, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	context.AfterFunc(ctx, func() {
		time.AfterFunc(CleanupGrace, func() {
			cancel(fmt.Errorf("svctl was interrupted, and cleaning up took over %s", CleanupGrace))
		})
	})
	return g
}
