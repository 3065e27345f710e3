// Package nomadtest starts a real Nomad dev agent for a test, configured by
// the project's nomad.hcl plus free ports, a short data dir and a given Consul,
// and stops it (jobs, allocations, mounts) when the test ends. StartWith
// can also turn on its ACLs (bootstrapped) and TLS (certificates made for it).
//
// It needs the `nomad` binary on PATH (a Nomad v1.6.x; see README), root, and
// the CNI plugins; without them the test is skipped with the reason.
package nomadtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/consuldev"
	"microwizard/internal/freeport"
	"microwizard/internal/proclog"
	"microwizard/internal/testenv"
	"microwizard/internal/testenv/s3test"
)

// Agent is a running Nomad dev agent.
type Agent struct {
	Addr   string // http://127.0.0.1:PORT
	Client *nomad.Client
	Token  string // the management token's secret, with Options.ACL

	// With Options.TLS: the CA that signed the agent's certificate, and a
	// client (CLI) certificate it signed, as `nomad tls` makes them.
	CAFile, ClientCert, ClientKey string

	log *proclog.Log
}

// Require skips tb where Nomad cannot run, saying why, prefixed with who.
// Nomad is the one component CI cannot install (no registry serves it): a
// missing nomad binary only skips. What else it needs here (root, the CNI
// plugins, iptables) .ci/run installs, so its absence is testenv.Missing: a
// failure under CI.
func Require(tb testing.TB, who string) {
	tb.Helper()
	if _, err := exec.LookPath("nomad"); err != nil {
		tb.Skip(who + ": no nomad on PATH: put a Nomad v1.6.x binary on PATH or in ~/.cache/microwizard/bin (see README, Nomad)")
	}
	if why := requirements(); why != "" {
		testenv.Missing(tb, who+": "+why)
	}
}

// requirements returns why Nomad, on PATH, cannot run tests here, or "".
func requirements() string {
	if os.Geteuid() != 0 {
		return "Nomad's bridge networking needs root"
	}
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		return "no CNI plugins in /usr/lib/cni (apt-get install containernetworking-plugins)"
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		return "no iptables (apt-get install iptables)"
	}
	return ""
}

// Start runs a dev agent wired to the Consul agent c. repoRoot holds nomad.hcl.
func Start(tb testing.TB, repoRoot string, c *consuldev.Agent) *Agent {
	tb.Helper()
	return StartWith(tb, repoRoot, Options{ConsulHTTPAddr: c.HTTPAddr, ConsulGRPCAddr: c.GRPCAddr})
}

// Options are how StartWith's agent differs from Start's.
type Options struct {
	// ConsulHTTPAddr and ConsulGRPCAddr (host:port) are the Consul agent's.
	ConsulHTTPAddr, ConsulGRPCAddr string
	// ConsulToken is Nomad's token for Consul, when Consul's ACLs are on.
	ConsulToken string
	// ACL turns Nomad's ACLs on (acl { enabled = true }) and bootstraps
	// them: Agent.Token is then the management token's secret, and
	// Agent.Client uses it.
	ACL bool
	// TLS serves HTTP and RPC over TLS only, with certificates `nomad tls
	// ca create` and `nomad tls cert create -server / -cli` make, and
	// verify_https_client: the HTTP API asks for a client certificate.
	// Agent.Addr is then https://, and Agent.Client uses the CA and the
	// CLI certificate.
	TLS bool
}

// StartWith runs a dev agent as Start does, with o. repoRoot holds nomad.hcl.
func StartWith(tb testing.TB, repoRoot string, o Options) *Agent {
	tb.Helper()
	Require(tb, "nomadtest")
	if err := ensureBridge(); err != nil {
		tb.Fatalf("nomadtest: %v", err)
	}
	ports, err := freeport.Ports(3)
	if err != nil {
		tb.Fatalf("nomadtest: %v", err)
	}
	// Task API socket paths must stay under 108 characters: keep the data dir short.
	dataDir, err := os.MkdirTemp("/tmp", "nt")
	if err != nil {
		tb.Fatal(err)
	}
	override := fmt.Sprintf(`
ports {
  http = %d
  rpc  = %d
  serf = %d
}
consul {
  address      = %q
  grpc_address = %q
%s}
`, ports[0], ports[1], ports[2], o.ConsulHTTPAddr, o.ConsulGRPCAddr, consulToken(o.ConsulToken))
	if o.ACL {
		override += "acl {\n  enabled = true\n}\n"
	}
	var certs tlsFiles
	if o.TLS {
		certs = makeCerts(tb, dataDir)
		override += fmt.Sprintf(`
tls {
  http                   = true
  rpc                    = true
  ca_file                = %q
  cert_file              = %q
  key_file               = %q
  verify_server_hostname = true
  verify_https_client    = true
}
`, certs.ca, certs.serverCert, certs.serverKey)
	}
	overridePath := filepath.Join(dataDir, "override.hcl")
	if err := os.WriteFile(overridePath, []byte(override), 0o644); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "nomad", "agent", "-dev",
		"-config", filepath.Join(repoRoot, "nomad.hcl"), "-config", overridePath,
		"-data-dir", filepath.Join(dataDir, "d"))
	cmd.Env = consuldev.WithoutConsulEnv(os.Environ())
	if o.ACL || o.TLS {
		cmd.Env = withoutNomadEnv(cmd.Env)
	}
	// The node's read-only key of any store s3test starts: its go-getter
	// fetches published runs with it (nomad.hcl passes these on), never
	// the test's own AWS keys.
	cmd.Env = append(withoutAWSEnv(cmd.Env), s3test.NodeEnv()...)
	log := &proclog.Log{}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		tb.Fatalf("nomadtest: start nomad: %v", err)
	}
	a := &Agent{Addr: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), log: log}
	cfg := nomad.DefaultConfig()
	if o.TLS {
		a.Addr = fmt.Sprintf("https://127.0.0.1:%d", ports[0])
		a.CAFile, a.ClientCert, a.ClientKey = certs.ca, certs.cliCert, certs.cliKey
		cfg.TLSConfig = &nomad.TLSConfig{CACert: a.CAFile, ClientCert: a.ClientCert, ClientKey: a.ClientKey}
	}
	cfg.Address = a.Addr
	if o.ACL || o.TLS {
		cfg.SecretID, cfg.Namespace, cfg.Region = "", "", "" // not the test's
	}
	a.Client, err = nomad.NewClient(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		a.stopAll(tb)
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cancel()
			<-done
		}
		cancel()
		unmountUnder(dataDir)
		if err := os.RemoveAll(dataDir); err != nil {
			tb.Logf("nomadtest: remove %s: %v", dataDir, err)
		}
	})
	if o.ACL {
		if err := a.bootstrap(60 * time.Second); err != nil {
			tb.Fatalf("nomadtest: %v; log:\n%s", err, log.String())
		}
	}
	if err := a.waitReady(60 * time.Second); err != nil {
		tb.Fatalf("nomadtest: %v; log:\n%s", err, log.String())
	}
	return a
}

// bootstrap makes the ACL bootstrap (management) token, once the agent has
// a leader, and has the client use it.
func (a *Agent) bootstrap(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		tok, _, err := a.Client.ACLTokens().Bootstrap(nil)
		if err == nil {
			a.Token = tok.SecretID
			a.Client.SetSecretID(tok.SecretID)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ACL bootstrap within %s: %w", d, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// tlsFiles are the CA, server and CLI certificates of a TLS agent.
type tlsFiles struct{ ca, serverCert, serverKey, cliCert, cliKey string }

// makeCerts makes a CA, a server certificate for region global and a CLI
// certificate in dir with `nomad tls`.
func makeCerts(tb testing.TB, dir string) tlsFiles {
	tb.Helper()
	for _, args := range [][]string{
		{"tls", "ca", "create"},
		{"tls", "cert", "create", "-server", "-region", "global"},
		{"tls", "cert", "create", "-cli", "-region", "global"},
	} {
		cmd := exec.Command("nomad", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("nomadtest: nomad %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	at := func(name string) string { return filepath.Join(dir, name) }
	return tlsFiles{
		ca:         at("nomad-agent-ca.pem"),
		serverCert: at("global-server-nomad.pem"), serverKey: at("global-server-nomad-key.pem"),
		cliCert: at("global-cli-nomad.pem"), cliKey: at("global-cli-nomad-key.pem"),
	}
}

// consulToken is the line of the consul block that sets its token, if any.
func consulToken(token string) string {
	if token == "" {
		return ""
	}
	return fmt.Sprintf("  token        = %q\n", token)
}

// withoutNomadEnv drops NOMAD_* variables from env: the agent's own
// consul-template reads NOMAD_ADDR (nomad#15459), and a test's NOMAD_TOKEN
// is not the agent's.
func withoutNomadEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "NOMAD_") {
			out = append(out, kv)
		}
	}
	return out
}

// Env returns the environment that points the nomad CLI and svctl here:
// with Options.TLS also its CA and CLI certificate, with Options.ACL the
// management token.
func (a *Agent) Env() []string {
	env := []string{"NOMAD_ADDR=" + a.Addr}
	if a.CAFile != "" {
		env = append(env, "NOMAD_CACERT="+a.CAFile, "NOMAD_CLIENT_CERT="+a.ClientCert, "NOMAD_CLIENT_KEY="+a.ClientKey)
	}
	if a.Token != "" {
		env = append(env, "NOMAD_TOKEN="+a.Token)
	}
	return env
}

// Log returns what the agent printed so far.
func (a *Agent) Log() string { return a.log.String() }

func (a *Agent) waitReady(d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		nodes, _, err := a.Client.Nodes().List(nil)
		if err == nil {
			for _, n := range nodes {
				if n.Status == "ready" && n.Drivers["raw_exec"] != nil && n.Drivers["raw_exec"].Healthy {
					return nil
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("no ready node with raw_exec after %s", d)
}

// stopAll stops every job, waits for the allocations to end and garbage
// collects them, so that their mounts and network namespaces go.
func (a *Agent) stopAll(tb testing.TB) {
	jobs, _, err := a.Client.Jobs().List(nil)
	if err != nil {
		return
	}
	for _, j := range jobs {
		_, _, _ = a.Client.Jobs().Deregister(j.ID, true, nil)
	}
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		allocs, _, err := a.Client.Allocations().List(nil)
		if err != nil {
			break
		}
		live := 0
		for _, al := range allocs {
			if al.ClientStatus == "running" || al.ClientStatus == "pending" {
				live++
			}
		}
		if live == 0 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if _, err := a.Client.Raw().Write("/v1/client/gc", nil, nil, nil); err != nil {
		tb.Logf("nomadtest: client gc: %v", err)
	}
}

// ensureBridge creates Nomad's bridge with the address nomad.hcl's
// host_network names, as `just up` does: the agent needs it at start.
func ensureBridge() error {
	if exec.Command("ip", "link", "show", "nomad").Run() == nil {
		return nil
	}
	for _, args := range [][]string{
		{"link", "add", "nomad", "type", "bridge"},
		{"addr", "add", "172.26.64.1/20", "dev", "nomad"},
		{"link", "set", "nomad", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

func unmountUnder(dir string) {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return
	}
	var mounts []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && strings.HasPrefix(f[1], dir) {
			mounts = append(mounts, f[1])
		}
	}
	for i := len(mounts) - 1; i >= 0; i-- {
		_ = exec.Command("umount", "-l", mounts[i]).Run()
	}
}

// withoutAWSEnv is env without AWS_* variables.
func withoutAWSEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}
