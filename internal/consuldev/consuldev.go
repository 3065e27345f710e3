// Package consuldev starts a Consul dev agent on free loopback ports and
// stops it: the Consul of the mesh lab and, through consultest, of tests.
//
// The agent is the `consul` binary on PATH (scripts/setup builds v1.14.0). It
// runs with Connect enabled and without its gRPC TLS port (grpc_tls = -1):
// Envoy 1.40 refuses the bootstrap Consul 1.14 writes for that port.
package consuldev

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	consul "github.com/hashicorp/consul/api"

	"microwizard/internal/freeport"
	"microwizard/internal/proclog"
)

// How long Start waits for a leader, and Stop for the agent to leave.
const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
	startTries   = 3 // free ports can be taken between finding and binding them
)

// ErrNoBinary is returned by Binary and Start when there is no consul on PATH.
var ErrNoBinary = errors.New("no consul on PATH: run scripts/setup (it builds Consul v1.14.0) or `just test`, which puts it on PATH")

// Agent is a running dev agent.
type Agent struct {
	HTTPAddr string // host:port of the HTTP API
	GRPCAddr string // host:port of the plaintext gRPC (xDS) port
	Client   *consul.Client

	cmd  *exec.Cmd
	dir  string
	log  *proclog.Log
	done chan struct{} // closed when the process has exited
}

// Binary returns the path of the consul binary on PATH, or ErrNoBinary.
func Binary() (string, error) {
	p, err := exec.LookPath("consul")
	if err != nil {
		return "", ErrNoBinary
	}
	return p, nil
}

// Start runs `consul agent -dev` on free loopback ports and returns once
// the agent has a leader and a Connect CA. The agent runs until Stop, which
// the caller must call; ctx bounds only the start.
func Start(ctx context.Context) (*Agent, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	var errs []error
	for try := 0; try < startTries; try++ {
		a, err := start(ctx, bin)
		if err == nil {
			return a, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil || !errors.Is(err, errExited) {
			break
		}
	}
	return nil, fmt.Errorf("start consul dev agent: %w", errors.Join(errs...))
}

// errExited marks a start where the agent exited by itself (a port taken
// since it was found free, most often): Start tries again on other ports.
var errExited = errors.New("consul exited during start")

func start(ctx context.Context, bin string) (*Agent, error) {
	ports, err := freeport.Ports(6)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "consuldev-")
	if err != nil {
		return nil, fmt.Errorf("make config dir: %w", err)
	}
	cfgPath := filepath.Join(dir, "consul.hcl")
	if err := os.WriteFile(cfgPath, []byte(config(ports)), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("write config: %w", err)
	}
	a := &Agent{
		HTTPAddr: "127.0.0.1:" + strconv.Itoa(ports[0]),
		GRPCAddr: "127.0.0.1:" + strconv.Itoa(ports[1]),
		dir:      dir,
		log:      &proclog.Log{},
		done:     make(chan struct{}),
	}
	a.cmd = exec.Command(bin, "agent", "-dev", "-config-file", cfgPath)
	a.cmd.Env = WithoutConsulEnv(os.Environ())
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	// Should this process die without calling Stop, the agent goes too.
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := a.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	go func() { _ = a.cmd.Wait(); close(a.done) }()

	ccfg := consul.DefaultConfig()
	ccfg.Address = a.HTTPAddr
	if a.Client, err = consul.NewClient(ccfg); err != nil {
		a.Stop()
		return nil, fmt.Errorf("consul client: %w", err)
	}
	if err := a.waitReady(ctx); err != nil {
		a.Stop()
		return nil, err
	}
	return a, nil
}

// config is the agent's configuration with the HTTP, gRPC, DNS, Serf LAN,
// Serf WAN and server RPC ports, in that order.
func config(ports []int) string {
	return fmt.Sprintf(`
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
}

// waitReady waits for a leader and the Connect CA roots.
func (a *Agent) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		leader, err := a.Client.Status().Leader()
		if err == nil && leader != "" {
			if _, _, err = a.Client.Connect().CARoots(nil); err == nil {
				return nil
			}
		}
		select {
		case <-a.done:
			return fmt.Errorf("%w; log:\n%s", errExited, a.Log())
		case <-ctx.Done():
			return fmt.Errorf("consul at %s not ready (leader and Connect CA) within %s: %v; log:\n%s",
				a.HTTPAddr, readyTimeout, err, a.Log())
		case <-tick.C:
		}
	}
}

// Stop asks the agent to leave (SIGINT), kills it if it has not exited after
// 10 s, and removes its config. It may be called more than once.
func (a *Agent) Stop() error {
	if a.cmd == nil || a.cmd.Process == nil {
		return nil
	}
	defer os.RemoveAll(a.dir)
	select {
	case <-a.done:
		return nil
	default:
	}
	_ = a.cmd.Process.Signal(os.Interrupt)
	select {
	case <-a.done:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = a.cmd.Process.Kill()
	<-a.done
	return fmt.Errorf("consul at %s did not leave within %s and was killed", a.HTTPAddr, stopTimeout)
}

// PID returns the agent's process ID.
func (a *Agent) PID() int { return a.cmd.Process.Pid }

// Log returns what the agent printed so far.
func (a *Agent) Log() string { return a.log.String() }

// Env returns the environment variable that points the official CLIs (and
// svctl) at this agent. It leaves out CONSUL_GRPC_ADDR on purpose: a Nomad
// agent with it in its environment hands it to raw_exec sidecars, whose
// 127.0.0.1 is their own namespace's, instead of its gRPC socket.
func (a *Agent) Env() []string {
	return []string{"CONSUL_HTTP_ADDR=http://" + a.HTTPAddr}
}

// WithoutConsulEnv drops CONSUL_* variables from env. An agent started with
// them would point its own CLI machinery elsewhere, and a Nomad agent hands
// them to raw_exec sidecars, whose 127.0.0.1 is their own namespace's.
func WithoutConsulEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "CONSUL_") {
			out = append(out, kv)
		}
	}
	return out
}
