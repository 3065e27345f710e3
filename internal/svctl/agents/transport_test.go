package agents

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"microwizard/internal/testenv"
)

// silentListener is an agent that accepts and never answers.
func silentListener(t *testing.T) string {
	addr, _ := testenv.Unanswering(t)
	return addr
}

// TestTheProbeEndsWithTheCommand: against an agent that accepts and never
// answers, with the full 10 s limit, the first probe of each agent returns
// as soon as the command's context ends, saying it was interrupted.
func TestTheProbeEndsWithTheCommand(t *testing.T) {
	addr := silentListener(t)
	t.Setenv("SVCTL_AGENT_TIMEOUT", "")
	t.Setenv("NOMAD_ADDR", "http://"+addr)
	t.Setenv("CONSUL_HTTP_ADDR", addr)
	for name, connect := range map[string]func(context.Context) error{
		"nomad":  func(ctx context.Context) error { _, err := Nomad(ctx); return err },
		"consul": func(ctx context.Context) error { _, err := Consul(ctx); return err },
	} {
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- connect(ctx) }()
		time.Sleep(100 * time.Millisecond)
		cancel()
		select {
		case err := <-errc:
			if err == nil || !strings.Contains(err.Error(), "interrupted") {
				t.Errorf("%s: %v, want an interrupted probe", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the probe went on after its context ended", name)
		}
	}
}

// TestAStreamHasNoOverallLimit: a stream that keeps sending (as Nomad's
// heartbeats do) is read long past the per-call limit, while a plain call to
// the same slow server is cut at the limit.
func TestAStreamHasNoOverallLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 8; i++ {
			if _, err := w.Write([]byte("{}\n")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			time.Sleep(50 * time.Millisecond)
		}
	}))
	defer srv.Close()
	tr := &transport{base: http.DefaultTransport, cmd: context.Background(), grace: context.Background(), timeout: 150 * time.Millisecond, idle: time.Second}
	c := &http.Client{Transport: tr}

	resp, err := c.Get(srv.URL + "/v1/client/fs/logs/some-alloc?follow=true")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || strings.Count(string(body), "{}") != 8 {
		t.Fatalf("stream: read %q, %v; want all 8 frames, past the 150 ms limit", body, err)
	}

	resp, err = c.Get(srv.URL + "/v1/jobs")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("a plain call that took 400 ms passed a 150 ms limit")
	}
}

// TestASilentStreamIsCut: a stream that sends nothing at all for the idle
// time is cut, and the cut says why.
func TestASilentStreamIsCut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("{}\n"))
		w.(http.Flusher).Flush()
		select { // then silence: an agent that hangs
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	tr := &transport{base: http.DefaultTransport, cmd: context.Background(), grace: context.Background(), timeout: time.Minute, idle: 200 * time.Millisecond}
	ctx, cut := WatchStream(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/client/fs/logs/a?follow=true", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	done := make(chan error, 1)
	go func() { _, err := io.ReadAll(resp.Body); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a silent stream ended cleanly; want it cut")
		}
		if !errors.Is(cut.Err(), ErrStreamIdle) {
			t.Fatalf("cut says %v, want ErrStreamIdle", cut.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a silent stream was not cut")
	}
}

// TestCleanupOutlivesTheCommandBriefly: once the command's context has
// ended, an ordinary call fails at once, a cleanup call still gets its
// answer, and a cleanup call that hangs ends with the grace.
func TestCleanupOutlivesTheCommandBriefly(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	cmd, cancel := context.WithCancel(context.Background())
	c := &http.Client{Transport: bind(cmd, http.DefaultTransport)}
	cancel()
	get := func(ctx context.Context, path string) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return err
	}
	if err := get(context.Background(), "/ok"); err == nil {
		t.Error("an ordinary call after the command ended succeeded")
	}
	if err := get(Cleanup(cmd), "/ok"); err != nil {
		t.Errorf("a cleanup call after the command ended: %v", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- get(Cleanup(cmd), "/hang") }()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("a hanging cleanup call succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a hanging cleanup call outlived the grace")
	}
}
