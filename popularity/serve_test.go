package popularity

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"microwizard/internal/testenv/mariadbtest"
)

// freeAddr returns a loopback address nothing listens on (for a moment).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitUntilRefused returns once addr stops accepting connections.
func waitUntilRefused(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
	}
	t.Fatalf("%s still accepts connections 5s after shutdown began", addr)
}

// fetchUsers GETs url and decodes the answer.
func fetchUsers(url string) (int, UsersResponse, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, UsersResponse{}, err
	}
	defer resp.Body.Close()
	var body UsersResponse
	err = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body, err
}

func TestSIGTERMLetsTheRequestInFlightFinish(t *testing.T) {
	db := mariadbtest.New(t)
	want := smallWorld(t, db.DB)
	s := New(db.DB, NewIdentity("lobpop_v1", "test"))

	// The request in flight waits, once inside the handler, until the test
	// has seen the server stop accepting connections.
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(entered); <-release })
		s.Handler().ServeHTTP(w, r)
	})

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM) // as main does
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, ln, h, Config{RequestTimeout: 5 * time.Second, ShutdownTimeout: 10 * time.Second})
	}()

	type answer struct {
		code int
		body UsersResponse
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		code, body, err := fetchUsers("http://" + addr + "/")
		answered <- answer{code, body, err}
	}()

	<-entered
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-ctx.Done()
	waitUntilRefused(t, addr)
	close(release)

	a := <-answered
	if a.err != nil || a.code != http.StatusOK || !reflect.DeepEqual(a.body.Users, want) {
		t.Fatalf("request in flight at shutdown: %d %+v %v, want 200 with %v", a.code, a.body, a.err, want)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after a graceful shutdown: %v", err)
	}
}

func TestShutdownCutsOffRequestsAfterItsTimeout(t *testing.T) {
	arrived, block := make(chan struct{}, 1), make(chan struct{})
	defer close(block)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { arrived <- struct{}{}; <-block })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, ln, h, Config{RequestTimeout: time.Minute, ShutdownTimeout: 200 * time.Millisecond})
	}()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	<-arrived
	start := time.Now()
	cancel()
	err = <-served
	if err == nil || !strings.Contains(err.Error(), "cut off") {
		t.Fatalf("Serve with a stuck request: %v, want an error saying it was cut off", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("shutdown took %v with a 200ms bound", took)
	}
}

func TestRunServesUntilCancelledAndLogsWhereItListens(t *testing.T) {
	db := mariadbtest.New(t)
	cfg := Config{DSN: db.DSN, Addr: freeAddr(t), RequestTimeout: 5 * time.Second, HealthTimeout: time.Second,
		ShutdownTimeout: 5 * time.Second, Version: "lobpop_v1", Instance: "test-1"}
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil))) }()

	var health HealthResponse
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + cfg.Addr + "/health")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&health)
			resp.Body.Close()
			if err == nil && resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no healthy answer on %s: %v %+v", cfg.Addr, err, health)
		}
	}
	if health.Version != "lobpop_v1" || health.Instance != "test-1" {
		t.Errorf("health %+v, want version lobpop_v1 and instance test-1", health)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	line := logs.String()
	if !strings.Contains(line, "addr="+cfg.Addr) || !strings.Contains(line, "version=lobpop_v1") {
		t.Fatalf("start-up log %q, want the address and the version", line)
	}
}

func TestRunFailsWhenTheAddressIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := Config{DSN: DefaultDSN, Addr: ln.Addr().String(), RequestTimeout: time.Second, ShutdownTimeout: time.Second}
	err = Run(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "listen on "+cfg.Addr) {
		t.Fatalf("Run on a taken address: %v, want a listen error", err)
	}
}
