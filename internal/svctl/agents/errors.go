package agents

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"
)

// TokenError is a token the agent does not accept at all: unknown to the
// cluster, malformed or expired. It names the variable the token came from,
// never the token.
type TokenError struct {
	Agent  string // "nomad" or "consul"
	Env    string // NOMAD_TOKEN, CONSUL_HTTP_TOKEN or CONSUL_HTTP_TOKEN_FILE
	Reason string // what the agent answered ("ACL token not found")
}

func (e *TokenError) Error() string {
	what := "is not a token this cluster knows"
	switch reason := strings.ToLower(e.Reason); {
	case strings.Contains(reason, "expired"):
		what = "has expired"
	case strings.Contains(reason, "permission denied"):
		what = "is refused by the agent"
	}
	return fmt.Sprintf("%s: %s %s (%s)", e.Agent, e.Env, what, e.Reason)
}

// NomadTokenError returns the TokenError that err, an answer of the Nomad
// agent to a call made with NOMAD_TOKEN, stands for, or nil if err is not
// about the token. Nomad v1.6 answers an unknown token with 404 "ACL token
// not found" (or, from most endpoints, 403 "ACL token not found"), one that
// is not a UUID with 500 "... UUID must be 36 characters", and an expired
// one with "ACL token expired".
func NomadTokenError(err error) *TokenError {
	var ue nomad.UnexpectedResponseError
	if !errors.As(err, &ue) {
		return nil
	}
	body := strings.TrimSpace(ue.Body())
	switch {
	case strings.Contains(body, "ACL token not found"), strings.Contains(body, "ACL token expired"):
	case strings.Contains(body, "UUID must be 36 characters"):
		body = "not a UUID"
	default:
		return nil
	}
	return &TokenError{Agent: "nomad", Env: "NOMAD_TOKEN", Reason: body}
}

// ConsulTokenError returns the TokenError that err, an answer of the Consul
// agent, stands for, or nil if err is not about the token. Consul v1.14
// answers a token it does not know with 403 "ACL not found".
func ConsulTokenError(err error) *TokenError {
	var se consul.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusForbidden || !strings.Contains(se.Body, "ACL not found") {
		return nil
	}
	return &TokenError{Agent: "consul", Env: ConsulTokenEnv(), Reason: strings.TrimSpace(se.Body)}
}

// TLSError is a TLS connection to an agent that failed: its certificate is
// not trusted, or not for the address, or the agent wants a client
// certificate. It is one line naming the agent, its address and the
// variable to change.
type TLSError struct {
	Agent string // "nomad" or "consul"
	Addr  string
	msg   string
	Err   error
}

func (e *TLSError) Error() string {
	return redact(fmt.Sprintf("%s: %s (%s)", e.Agent, e.msg, reason(e.Err)))
}

func (e *TLSError) Unwrap() error { return e.Err }

// tlsSettings are where an agent's TLS settings come from, for the message.
type tlsSettings struct {
	prefix     string // NOMAD_ or CONSUL_
	addrEnv    string // NOMAD_ADDR or CONSUL_HTTP_ADDR
	caFile     string
	caPath     string
	clientCert string
	config     *tls.Config // the client's, for handshake
}

// tlsFailure returns the TLSError that err, from a call to the agent at
// addr, stands for, or nil if err is not a TLS failure. When err does not
// say (HTTP/2 hides why its connection failed: "http2: client conn could
// not be established"), it asks a TLS handshake of its own.
func tlsFailure(agent, addr string, s tlsSettings, err error) error {
	if e := classifyTLS(agent, addr, s, err); e != nil {
		return e
	}
	var (
		ue nomad.UnexpectedResponseError
		se consul.StatusError
	)
	if errors.As(err, &ue) || errors.As(err, &se) {
		return nil // the agent answered: TLS worked
	}
	if herr := handshake(addr, s.config); herr != nil {
		return classifyTLS(agent, addr, s, herr)
	}
	return nil
}

// handshake connects to addr, an https:// URL, with cfg, and returns why
// the TLS handshake failed, including an alert the agent sends just after
// it (TLS 1.3 servers refuse a missing client certificate so); nil if it
// did not, or addr is not https.
func handshake(addr string, cfg *tls.Config) error {
	u, err := url.Parse(addr)
	if err != nil || u.Scheme != "https" {
		return nil
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	c := &tls.Config{}
	if cfg != nil {
		c = cfg.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = u.Hostname()
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", host, c)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := conn.Read(make([]byte, 1)); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil // the agent waits for a request: the handshake holds
		}
		return err
	}
	return nil
}

// classifyTLS is tlsFailure on err alone.
func classifyTLS(agent, addr string, s tlsSettings, err error) error {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	text := err.Error()
	var msg string
	switch {
	case errors.As(err, &unknown):
		switch {
		case s.caFile != "":
			msg = fmt.Sprintf("the certificate of %s is not trusted by %sCACERT=%s", addr, s.prefix, s.caFile)
		case s.caPath != "":
			msg = fmt.Sprintf("the certificate of %s is not trusted by %sCAPATH=%s", addr, s.prefix, s.caPath)
		default:
			msg = fmt.Sprintf("the certificate of %s is not trusted by the system's CAs: set %sCACERT to the CA that signed it", addr, s.prefix)
		}
	case errors.As(err, &hostname):
		msg = fmt.Sprintf("the certificate of %s is not valid for %s: connect by a name it holds, or set %sTLS_SERVER_NAME to one", addr, hostname.Host, s.prefix)
	case errors.As(err, &invalid):
		msg = fmt.Sprintf("the certificate of %s is not valid", addr)
	case strings.Contains(text, "remote error: tls:"):
		// The agent ended the handshake: with Nomad's verify_https_client or
		// Consul's verify_incoming, for want of a client certificate
		// ("certificate required" in TLS 1.3, "bad certificate" before)
		// or because it does not trust the one it was given.
		if s.clientCert == "" {
			msg = fmt.Sprintf("the agent at %s asks for a client certificate: set %sCLIENT_CERT and %sCLIENT_KEY", addr, s.prefix, s.prefix)
		} else {
			msg = fmt.Sprintf("the agent at %s refuses the client certificate %sCLIENT_CERT=%s", addr, s.prefix, s.clientCert)
		}
	case strings.Contains(text, "server gave HTTP response to HTTPS client"):
		msg = fmt.Sprintf("the agent at %s does not speak TLS: use http:// in %s", addr, s.addrEnv)
		if s.prefix == "CONSUL_" {
			msg += " and unset CONSUL_HTTP_SSL"
		}
	case strings.Contains(text, "Client sent an HTTP request to an HTTPS server"):
		msg = fmt.Sprintf("the agent at %s speaks TLS only: use https:// in %s", addr, s.addrEnv)
	default:
		return nil
	}
	return &TLSError{Agent: agent, Addr: addr, msg: msg, Err: err}
}

// reason is the innermost useful text of a failed call: the TLS or x509
// error rather than the URL and operation around it.
func reason(err error) string {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &unknown):
		return unknown.Error()
	case errors.As(err, &hostname):
		return hostname.Error()
	case errors.As(err, &invalid):
		return invalid.Error()
	}
	text := err.Error()
	for _, marker := range []string{"remote error: ", "http: server gave", "Client sent an HTTP request"} {
		if i := strings.Index(text, marker); i >= 0 {
			return strings.TrimRight(strings.TrimSpace(text[i:]), ".)")
		}
	}
	return text
}

// ConsulTokenEnv is the variable the Consul token comes from, as the Consul
// CLI reads them: CONSUL_HTTP_TOKEN_FILE if set (it wins), else
// CONSUL_HTTP_TOKEN.
func ConsulTokenEnv() string {
	if consul.DefaultConfig().TokenFile != "" {
		return "CONSUL_HTTP_TOKEN_FILE"
	}
	return "CONSUL_HTTP_TOKEN"
}
