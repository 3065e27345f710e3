package agents

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/testenv/consultest"
	"microwizard/internal/testenv/nomadtest"
)

// TestTLSFailuresAreOneLine: against TLS servers made with Go's crypto,
// each way a TLS connection fails is one line naming the agent, its address
// and the variable to change, for both agents' clients.
func TestTLSFailuresAreOneLine(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, dir, "ca")
	wrong := newCA(t, dir, "wrong")
	serverCert := ca.issue(t, "localhost", net.ParseIP("127.0.0.1"))
	clientCert, clientKey := ca.issueFiles(t, dir, "client")
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`"127.0.0.1:4647"`)) })
	quiet := log.New(io.Discard, "", 0) // the servers' handshake errors are the test's point
	open := httptest.NewUnstartedServer(ok)
	open.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}}
	open.Config.ErrorLog = quiet
	open.StartTLS()
	defer open.Close()
	strict := httptest.NewUnstartedServer(ok)
	strict.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.pool}
	strict.Config.ErrorLog = quiet
	strict.StartTLS()
	defer strict.Close()
	plain := httptest.NewServer(ok)
	defer plain.Close()
	host := func(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "https://") }

	for _, agent := range []struct{ name, prefix, addrEnv string }{
		{"nomad", "NOMAD_", "NOMAD_ADDR"},
		{"consul", "CONSUL_", "CONSUL_HTTP_ADDR"},
	} {
		p := agent.prefix
		for _, c := range []struct {
			what string
			env  map[string]string
			want string // "" for a connection
		}{
			{"the wrong CA", map[string]string{agent.addrEnv: open.URL, p + "CACERT": wrong.file},
				fmt.Sprintf("%s: the certificate of %s is not trusted by %sCACERT=%s (x509: certificate signed by unknown authority)", agent.name, open.URL, p, wrong.file)},
			{"no CA", map[string]string{agent.addrEnv: open.URL},
				fmt.Sprintf("%s: the certificate of %s is not trusted by the system's CAs: set %sCACERT to the CA that signed it (x509: certificate signed by unknown authority)", agent.name, open.URL, p)},
			{"another name", map[string]string{agent.addrEnv: open.URL, p + "CACERT": ca.file, p + "TLS_SERVER_NAME": "agent.example"},
				fmt.Sprintf("%s: the certificate of %s is not valid for agent.example: connect by a name it holds, or set %sTLS_SERVER_NAME to one (x509: certificate is valid for localhost, not agent.example)", agent.name, open.URL, p)},
			{"no client certificate", map[string]string{agent.addrEnv: strict.URL, p + "CACERT": ca.file},
				fmt.Sprintf("%s: the agent at %s asks for a client certificate: set %sCLIENT_CERT and %sCLIENT_KEY (remote error: tls: certificate required)", agent.name, strict.URL, p, p)},
			{"a client certificate another CA signed", map[string]string{agent.addrEnv: strict.URL, p + "CACERT": ca.file, p + "CLIENT_CERT": wrong.certFile, p + "CLIENT_KEY": wrong.keyFile},
				fmt.Sprintf("%s: the agent at %s refuses the client certificate %sCLIENT_CERT=%s (remote error: tls: certificate required)", agent.name, strict.URL, p, wrong.certFile)},
			{"https to plain HTTP", map[string]string{agent.addrEnv: "https://" + strings.TrimPrefix(plain.URL, "http://")},
				fmt.Sprintf("%s: the agent at https://%s does not speak TLS: use http:// in %s%s (http: server gave HTTP response to HTTPS client)", agent.name, strings.TrimPrefix(plain.URL, "http://"), agent.addrEnv, map[string]string{"consul": " and unset CONSUL_HTTP_SSL"}[agent.name])},
			{"http to TLS", map[string]string{agent.addrEnv: "http://" + host(open)},
				fmt.Sprintf("%s: the agent at http://%s speaks TLS only: use https:// in %s (Client sent an HTTP request to an HTTPS server)", agent.name, host(open), agent.addrEnv)},
			{"the right CA and certificate", map[string]string{agent.addrEnv: strict.URL, p + "CACERT": ca.file, p + "CLIENT_CERT": clientCert, p + "CLIENT_KEY": clientKey}, ""},
		} {
			clearAgentEnv(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			var err error
			if agent.name == "nomad" {
				_, err = Nomad(context.Background())
			} else {
				_, err = Consul(context.Background())
			}
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%s, %s: %v", agent.name, c.what, err)
			case c.want != "" && (err == nil || err.Error() != c.want):
				t.Errorf("%s, %s:\n got %v\nwant %s", agent.name, c.what, err, c.want)
			}
		}
	}
}

// TestSecuredAgents: a real Consul and a real Nomad with ACLs and TLS
// (client certificates required), as NOMAD-CONNECT-NOTES.md's secured
// cluster: a wrong CA, a missing client certificate and an unknown token
// are each one line, without the token; the right settings connect, with a
// token that may not read /v1/agent/self.
func TestSecuredAgents(t *testing.T) {
	cs := consultest.StartSecured(t, consultest.SecuredOptions{ACL: true, TLS: true, VerifyIncoming: true})
	wrong := newCA(t, t.TempDir(), "wrong")
	stranger := uuid.NewString()
	connect := map[string]func() error{
		"consul": func() error { _, err := Consul(context.Background()); return err },
		"nomad":  func() error { _, err := Nomad(context.Background()); return err },
	}
	check := func(agent string, env []string, set map[string]string, want string) {
		t.Helper()
		clearAgentEnv(t)
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
		for k, v := range set {
			t.Setenv(k, v)
		}
		err := connect[agent]()
		switch {
		case want == "" && err != nil:
			t.Errorf("%s with %v: %v", agent, set, err)
		case want != "" && (err == nil || err.Error() != want):
			t.Errorf("%s with %v:\n got %v\nwant %s", agent, set, err, want)
		}
		if err != nil && strings.Contains(err.Error(), stranger) {
			t.Errorf("the token in %q", err)
		}
	}
	check("consul", cs.Env(), nil, "")
	check("consul", cs.Env(), map[string]string{"CONSUL_CACERT": wrong.file},
		fmt.Sprintf("consul: the certificate of %s is not trusted by CONSUL_CACERT=%s (x509: certificate signed by unknown authority)", cs.URL, wrong.file))
	check("consul", cs.Env(), map[string]string{"CONSUL_CLIENT_CERT": "", "CONSUL_CLIENT_KEY": ""},
		fmt.Sprintf("consul: the agent at %s asks for a client certificate: set CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY (remote error: tls: certificate required)", cs.URL))
	check("consul", cs.Env(), map[string]string{"CONSUL_HTTP_TOKEN": stranger},
		"consul: CONSUL_HTTP_TOKEN is not a token this cluster knows (ACL not found)")
	check("consul", cs.Env(), map[string]string{"CONSUL_HTTP_TOKEN": ""}, "") // anonymous: Check's to judge

	nomadtest.Require(t, "agents")
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("find repository: %v", err)
	}
	plainConsul := consultest.Start(t)
	n := nomadtest.StartWith(t, strings.TrimSpace(string(root)), nomadtest.Options{
		ConsulHTTPAddr: plainConsul.HTTPAddr, ConsulGRPCAddr: plainConsul.GRPCAddr, ACL: true, TLS: true,
	})
	pol := `namespace "default" { capabilities = ["submit-job", "read-job", "list-jobs"] }`
	if _, err := n.Client.ACLPolicies().Upsert(&nomad.ACLPolicy{Name: "dev", Rules: pol}, nil); err != nil {
		t.Fatal(err)
	}
	dev, _, err := n.Client.ACLTokens().Create(&nomad.ACLToken{Name: "dev", Type: "client", Policies: []string{"dev"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("nomad", n.Env(), nil, "")
	check("nomad", n.Env(), map[string]string{"NOMAD_TOKEN": dev.SecretID}, "")
	check("nomad", n.Env(), map[string]string{"NOMAD_CACERT": wrong.file},
		fmt.Sprintf("nomad: the certificate of %s is not trusted by NOMAD_CACERT=%s (x509: certificate signed by unknown authority)", n.Addr, wrong.file))
	check("nomad", n.Env(), map[string]string{"NOMAD_CLIENT_CERT": "", "NOMAD_CLIENT_KEY": ""},
		fmt.Sprintf("nomad: the agent at %s asks for a client certificate: set NOMAD_CLIENT_CERT and NOMAD_CLIENT_KEY (remote error: tls: certificate required)", n.Addr))
	check("nomad", n.Env(), map[string]string{"NOMAD_TOKEN": stranger},
		"nomad: NOMAD_TOKEN is not a token this cluster knows (ACL token not found)")
}

// clearAgentEnv unsets every variable the agents' clients read.
func clearAgentEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "NOMAD_") || strings.HasPrefix(k, "CONSUL_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

// testCA is a certificate authority made with Go's crypto.
type testCA struct {
	cert              *x509.Certificate
	key               *ecdsa.PrivateKey
	pool              *x509.CertPool
	file              string // the CA's PEM
	certFile, keyFile string // a client certificate it signed
}

func newCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name + " test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, pool: x509.NewCertPool(), file: filepath.Join(dir, name+"-ca.pem")}
	ca.pool.AddCert(cert)
	writePEM(t, ca.file, "CERTIFICATE", der)
	ca.certFile, ca.keyFile = ca.issueFiles(t, dir, name+"-client")
	return ca
}

func (ca *testCA) sign(t *testing.T, name string, ip net.IP) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{name},
	}
	if ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}

// issue is a server certificate for name and ip.
func (ca *testCA) issue(t *testing.T, name string, ip net.IP) tls.Certificate {
	der, key := ca.sign(t, name, ip)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// issueFiles is a client certificate and its key, in files.
func (ca *testCA) issueFiles(t *testing.T, dir, name string) (certFile, keyFile string) {
	der, key := ca.sign(t, name, nil)
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTokenAnswersOnConnect: what agents answer about a token on connect
// is one line naming its variable and never the token: a bare 403, an
// expired Nomad token (token/self still answers it), Nomad's and Consul's
// unknown tokens; ACLs off is no error.
func TestTokenAnswersOnConnect(t *testing.T) {
	secret := uuid.NewString()
	answer := func(code int, body string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			w.Write([]byte(body))
		}))
		t.Cleanup(s.Close)
		return s
	}
	past := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	for _, c := range []struct {
		agent, body string
		code        int
		want        string
	}{
		{"nomad", "Permission denied", 403, "nomad: NOMAD_TOKEN is refused by the agent (Permission denied)"},
		{"nomad", "ACL token not found", 404, "nomad: NOMAD_TOKEN is not a token this cluster knows (ACL token not found)"},
		{"nomad", "acl token lookup failed: index error: UUID must be 36 characters", 500, "nomad: NOMAD_TOKEN is not a token this cluster knows (not a UUID)"},
		{"nomad", `{"AccessorID":"x","ExpirationTime":"` + past.Format(time.RFC3339) + `"}`, 200, "nomad: NOMAD_TOKEN has expired (ACL token expired at " + past.Format(time.RFC3339) + ")"},
		{"nomad", "ACL support disabled", 400, ""},
		{"consul", "ACL not found", 403, "consul: CONSUL_HTTP_TOKEN is not a token this cluster knows (ACL not found)"},
		{"consul", "Permission denied", 403, "consul: CONSUL_HTTP_TOKEN is refused by the agent (Permission denied)"},
		{"consul", "ACL support disabled", 401, ""},
	} {
		clearAgentEnv(t)
		s := answer(c.code, c.body)
		var err error
		if c.agent == "nomad" {
			t.Setenv("NOMAD_ADDR", s.URL)
			t.Setenv("NOMAD_TOKEN", secret)
			_, err = Nomad(context.Background())
		} else {
			t.Setenv("CONSUL_HTTP_ADDR", s.URL)
			t.Setenv("CONSUL_HTTP_TOKEN", secret)
			_, err = Consul(context.Background())
		}
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s answering %d %q: %v", c.agent, c.code, c.body, err)
		case c.want != "" && (err == nil || err.Error() != c.want):
			t.Errorf("%s answering %d %q:\n got %v\nwant %s", c.agent, c.code, c.body, err, c.want)
		}
	}
}
