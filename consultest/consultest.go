// Package consultest starts a real Consul dev agent for a test, on free
// loopback ports, and stops it when the test ends.
//
// The agent is the `consul` binary on PATH (scripts/setup builds v1.14.0). When
// there is none the test is skipped with the reason, except under CI (CI set),
// where a missing Consul is a failure: CI installs it.
package consultest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"
)

// Agent is a running dev agent.
type Agent struct {
	HTTPAddr string // host:port of the HTTP API
	GRPCAddr string // host:port of the plaintext gRPC (xDS) port
	Client   *consul.Client
	log      *lockedBuffer
}

// Binary returns the path of the consul binary, or skips (fails under CI).
func Binary(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("consul")
	if err != nil {
		msg := "consultest: no consul on PATH: run scripts/setup (it builds Consul v1.14.0) or `just test`, which puts it on PATH"
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return p
}

// Start runs `consul agent -dev` on free loopback ports, waits for a leader,
// and stops the agent at the end of the test.
func Start(tb testing.TB) *Agent {
	tb.Helper()
	bin := Binary(tb)
	ports := FreePorts(tb, 6)
	dir := tb.TempDir()
	cfg := fmt.Sprintf(`
bind_addr   = "127.0.0.1"
client_addr = "127.0.0.1"
ports {
  http     = %d
  grpc     = %d
  grpc_tls = -1
  dns      = %d
  serf_lan = %d
  serf_wan = %d
  server   = %d
}
connect { enabled = true }
`, ports[0], ports[1], ports[2], ports[3], ports[4], ports[5])
	cfgPath := filepath.Join(dir, "consul.hcl")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "agent", "-dev", "-config-file", cfgPath)
	log := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		tb.Fatalf("consultest: start consul: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cancel()
			<-done
		}
		cancel()
	})
	a := &Agent{
		HTTPAddr: "127.0.0.1:" + strconv.Itoa(ports[0]),
		GRPCAddr: "127.0.0.1:" + strconv.Itoa(ports[1]),
		log:      log,
	}
	ccfg := consul.DefaultConfig()
	ccfg.Address = a.HTTPAddr
	c, err := consul.NewClient(ccfg)
	if err != nil {
		tb.Fatal(err)
	}
	a.Client = c
	deadline := time.Now().Add(30 * time.Second)
	for {
		leader, err := c.Status().Leader()
		if err == nil && leader != "" {
			if _, _, err := c.Connect().CARoots(nil); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("consultest: no leader after 30s; log:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return a
}

// Log returns what the agent printed so far.
func (a *Agent) Log() string { return a.log.String() }

// Env returns the environment variable that points the official CLIs (and
// svctl) at this agent. It leaves out CONSUL_GRPC_ADDR on purpose: a Nomad
// agent with it in its environment hands it to raw_exec sidecars, whose
// 127.0.0.1 is their own namespace's, instead of its gRPC socket.
func (a *Agent) Env() []string {
	return []string{"CONSUL_HTTP_ADDR=http://" + a.HTTPAddr}
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1.
func FreePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var ls []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("consultest: free port: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
