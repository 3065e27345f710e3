package consultest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	consul "github.com/hashicorp/consul/api"

	"microwizard/internal/consuldev"
	"microwizard/internal/freeport"
	"microwizard/internal/proclog"
	"microwizard/internal/testenv"
)

// SecuredOptions are what StartSecured turns on.
type SecuredOptions struct {
	// ACL turns ACLs on with default_policy "deny"; Secured.Token is the
	// initial management token.
	ACL bool
	// TLS serves the HTTP API over HTTPS only, with certificates made by
	// `consul tls ca create` and `consul tls cert create` (Secured.CAFile,
	// ClientCert, ClientKey).
	TLS bool
	// VerifyIncoming (with TLS) makes HTTPS ask for a client certificate.
	VerifyIncoming bool
}

// Secured is a Consul dev agent with ACLs or TLS, which consuldev does not
// start.
type Secured struct {
	HTTPAddr string // host:port of the HTTP API, HTTPS with TLS
	GRPCAddr string // host:port of the plaintext gRPC port
	URL      string // http://HTTPAddr or https://HTTPAddr
	Token    string // with ACL: the management token's secret
	Client   *consul.Client

	// With TLS: the CA that signed the agent's certificate, and a client
	// certificate it signed.
	CAFile, ClientCert, ClientKey string

	log *proclog.Log
}

// Env returns the environment that points the consul CLI and svctl at the
// agent, with the management token and the CA and client certificate.
func (s *Secured) Env() []string {
	env := []string{"CONSUL_HTTP_ADDR=" + s.URL}
	if s.Token != "" {
		env = append(env, "CONSUL_HTTP_TOKEN="+s.Token)
	}
	if s.CAFile != "" {
		env = append(env, "CONSUL_CACERT="+s.CAFile, "CONSUL_CLIENT_CERT="+s.ClientCert, "CONSUL_CLIENT_KEY="+s.ClientKey)
	}
	return env
}

// Log returns what the agent printed so far.
func (s *Secured) Log() string { return s.log.String() }

// StartSecured runs `consul agent -dev` with o on free loopback ports and
// stops it at the end of the test. Without a consul binary the test skips
// (fails under CI).
func StartSecured(tb testing.TB, o SecuredOptions) *Secured {
	tb.Helper()
	bin, err := consuldev.Binary()
	if err != nil {
		testenv.Missing(tb, "consultest: "+err.Error())
	}
	dir := tb.TempDir()
	ports, err := freeport.Ports(6)
	if err != nil {
		tb.Fatalf("consultest: %v", err)
	}
	s := &Secured{
		HTTPAddr: "127.0.0.1:" + strconv.Itoa(ports[0]),
		GRPCAddr: "127.0.0.1:" + strconv.Itoa(ports[1]),
		log:      &proclog.Log{},
	}
	s.URL = "http://" + s.HTTPAddr
	httpPorts := fmt.Sprintf("http = %d", ports[0])
	cfg := ""
	if o.ACL {
		s.Token = uuid.NewString()
		cfg += fmt.Sprintf(`
acl {
  enabled        = true
  default_policy = "deny"
  tokens { initial_management = %q }
}
`, s.Token)
	}
	if o.TLS {
		s.URL = "https://" + s.HTTPAddr
		httpPorts = fmt.Sprintf("http = -1\n  https = %d", ports[0])
		s.CAFile, s.ClientCert, s.ClientKey = makeCerts(tb, bin, dir)
		cfg += fmt.Sprintf(`
tls {
  defaults {
    ca_file   = %q
    cert_file = %q
    key_file  = %q
  }
  https { verify_incoming = %t }
}
`, s.CAFile, filepath.Join(dir, "dc1-server-consul-0.pem"), filepath.Join(dir, "dc1-server-consul-0-key.pem"), o.VerifyIncoming)
	}
	cfg = fmt.Sprintf(`
bind_addr   = "127.0.0.1"
client_addr = "127.0.0.1"
ports {
  %s
  grpc     = %d
  grpc_tls = -1
  dns      = %d
  serf_lan = %d
  serf_wan = %d
  server   = %d
}
connect { enabled = true }
`, httpPorts, ports[1], ports[2], ports[3], ports[4], ports[5]) + cfg
	cfgPath := filepath.Join(dir, "consul.hcl")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "agent", "-dev", "-config-file", cfgPath)
	cmd.Env = consuldev.WithoutConsulEnv(os.Environ())
	cmd.Stdout, cmd.Stderr = s.log, s.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("consultest: run %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})

	ccfg := &consul.Config{Address: s.HTTPAddr, Scheme: "http", Token: s.Token}
	if o.TLS {
		ccfg.Scheme = "https"
		ccfg.TLSConfig = consul.TLSConfig{CAFile: s.CAFile, CertFile: s.ClientCert, KeyFile: s.ClientKey}
	}
	if s.Client, err = consul.NewClient(ccfg); err != nil {
		tb.Fatalf("consultest: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		leader, err := s.Client.Status().Leader()
		if err == nil && leader != "" {
			if _, _, err = s.Client.Connect().CARoots(nil); err == nil {
				return s
			}
		}
		select {
		case <-done:
			tb.Fatalf("consultest: consul exited during start; log:\n%s", s.Log())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("consultest: consul at %s not ready within 30 s: %v; log:\n%s", s.URL, err, s.Log())
		}
	}
}

// makeCerts makes, in dir, a CA, the agent's server certificate for dc1
// and a client certificate, as `consul tls` does, and returns the CA, the
// client certificate and its key.
func makeCerts(tb testing.TB, bin, dir string) (ca, cert, key string) {
	tb.Helper()
	for _, args := range [][]string{
		{"tls", "ca", "create"},
		{"tls", "cert", "create", "-server", "-dc", "dc1"},
		{"tls", "cert", "create", "-client", "-dc", "dc1"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = consuldev.WithoutConsulEnv(os.Environ())
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("consultest: consul %v: %v: %s", args, err, out)
		}
	}
	return filepath.Join(dir, "consul-agent-ca.pem"), filepath.Join(dir, "dc1-client-consul-0.pem"), filepath.Join(dir, "dc1-client-consul-0-key.pem")
}
