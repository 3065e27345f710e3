package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"microwizard/internal/proclog"
	"microwizard/internal/testenv/mariadbtest"
)

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// SIGTERM lets a /popular request in flight finish, then the process exits 0.
func TestSIGTERMFinishesRequestsInFlight(t *testing.T) {
	db := mariadbtest.New(t)
	bin := filepath.Join(t.TempDir(), "lobsters")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	arrived, release := make(chan struct{}, 1), make(chan struct{})
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"service_id":"sid","version":"lobpop_v1","instance":"i1","index":1,"users":[{"username":"carol","karma":50}]}`)
	}))
	defer svc.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	addr := freeAddr(t)
	var logs proclog.Log
	cmd := exec.Command(bin, "-addr", addr)
	cmd.Env = append(os.Environ(), "LOBSTERS_DSN="+db.DSN, "POPULARITY_URL="+svc.URL+"/", "POPULARITY_TIMEOUT=10s")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	}()

	base := "http://" + addr
	waitUntil(t, 20*time.Second, func() bool {
		resp, err := http.Get(base + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, &logs)

	popular := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/popular")
		if err != nil {
			popular <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		popular <- string(b)
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatalf("/popular never reached the service; log:\n%s", logs.String())
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused once shutdown began...
	waitUntil(t, 10*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	}, &logs)
	// ...while the request in flight still gets its page.
	close(release)
	select {
	case page := <-popular:
		if !strings.Contains(page, "carol") || !strings.Contains(page, "lobpop_v1") {
			t.Errorf("the /popular in flight did not get its page:\n%s", page)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the /popular in flight never finished")
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("lobsters exited with %v; log:\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("lobsters did not exit after SIGTERM; log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "stopped") {
		t.Errorf("no clean stop in the log:\n%s", logs.String())
	}
}

func waitUntil(t *testing.T, limit time.Duration, ok func() bool, logs *proclog.Log) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up after %s; log:\n%s", limit, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
