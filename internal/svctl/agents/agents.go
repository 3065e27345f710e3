// Package agents connects svctl to the Nomad and Consul agents, configured
// from the environment exactly as the official CLIs read it (NOMAD_ADDR,
// NOMAD_TOKEN, NOMAD_REGION, ..., CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN, ...),
// and checks that each answers. An agent that does not answer gives one line
// naming it and where it was looked for (UnreachableError); so does a TLS
// connection that fails (TLSError: a certificate not trusted, or not for
// the address, a client certificate wanted) and a token the cluster does
// not know or has expired (TokenError), naming the variable to change and
// never the token.
//
// Every call of the clients it returns ends when the command's context ends
// (Ctrl-C), and every call but a stream has a time limit (SVCTL_AGENT_TIMEOUT,
// 10 s by default). A stream (a log followed) has no overall limit: it is
// cut only when the agent sends nothing, not even its heartbeat, for
// StreamIdle (see transport.go). Calls that clean up after an interrupted
// command take Cleanup's context.
package agents

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"
)

// UnreachableError says which agent did not answer, and where it was looked for.
type UnreachableError struct {
	Agent string // "nomad" or "consul"
	Addr  string
	Env   string // the variable that sets Addr
	Err   error
}

func (e *UnreachableError) Error() string {
	reason := e.Err.Error()
	var opErr *net.OpError
	var uerr *url.Error
	switch {
	case errors.As(e.Err, &opErr):
		reason = opErr.Error()
	case errors.As(e.Err, &uerr):
		reason = uerr.Err.Error()
	default:
		// The Nomad client flattens the network error into its message.
		if i := strings.LastIndex(reason, "dial "); i >= 0 {
			reason = reason[i:]
		}
	}
	return redact(fmt.Sprintf("%s: no agent answers at %s (%s): %s", e.Agent, e.Addr, e.Env, reason))
}

// userinfoRE matches the user information of an address (user:password@ or
// a token alone, token@), wherever it is in a message.
var userinfoRE = regexp.MustCompile(`[^\s/@"']+@`)

// redact replaces the user information of every address in s with xxxxx:
// an agent address may carry credentials, and errors must not print them.
func redact(s string) string { return userinfoRE.ReplaceAllString(s, "xxxxx@") }

func (e *UnreachableError) Unwrap() error { return e.Err }

// DefaultTimeout bounds every call to an agent but a stream: an address that
// accepts connections and never answers must not hang svctl.
const DefaultTimeout = 10 * time.Second

// Timeout is SVCTL_AGENT_TIMEOUT (a Go duration), else DefaultTimeout.
func Timeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("SVCTL_AGENT_TIMEOUT")); err == nil && d > 0 {
		return d
	}
	return DefaultTimeout
}

// Nomad returns a client of the Nomad agent the environment names, once it
// has answered. Its calls end with ctx (see the package doc).
func Nomad(ctx context.Context) (*nomad.Client, error) {
	cfg := nomad.DefaultConfig()
	base := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
	}
	if path, ok := strings.CutPrefix(cfg.Address, "unix://"); ok {
		base.Proxy = nil
		base.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}
	}
	cfg.HttpClient = &http.Client{Transport: base}
	if err := nomad.ConfigureTLS(cfg.HttpClient, cfg.TLSConfig); err != nil {
		return nil, errors.New(redact(fmt.Sprintf("nomad TLS for %s: %v", cfg.Address, err)))
	}
	cfg.HttpClient.Transport = bind(ctx, base)
	c, err := nomad.NewClient(cfg)
	if err != nil {
		return nil, errors.New(redact(fmt.Sprintf("nomad client for %s: %v", cfg.Address, err)))
	}
	if err := probeNomad(c, cfg.SecretID != ""); err != nil {
		if ctx.Err() != nil {
			return nil, interrupted(ctx, "nomad")
		}
		return nil, connectError("nomad", cfg.Address, tlsSettings{
			prefix: "NOMAD_", addrEnv: "NOMAD_ADDR", caFile: cfg.TLSConfig.CACert,
			caPath: cfg.TLSConfig.CAPath, clientCert: cfg.TLSConfig.ClientCert, config: base.TLSClientConfig,
		}, err)
	}
	return c, nil
}

// probeNomad asks the Nomad agent a question every token may ask: with a
// token, who it is (/v1/acl/token/self, which also tells an unknown token);
// without, who leads (/v1/status/leader, which needs no rights).
// /v1/agent/self would need agent:read, which a developer's token lacks.
func probeNomad(c *nomad.Client, token bool) error {
	if !token {
		_, err := c.Status().Leader()
		return err
	}
	var self struct{ ExpirationTime *time.Time }
	_, err := c.Raw().Query("/v1/acl/token/self", &self, nil)
	var ue nomad.UnexpectedResponseError
	if errors.As(err, &ue) && ue.StatusCode() == http.StatusBadRequest && strings.Contains(ue.Body(), "ACL support disabled") {
		return nil // the cluster has no ACLs: any token does
	}
	if err == nil && self.ExpirationTime != nil && self.ExpirationTime.Before(time.Now()) {
		// token/self still answers an expired token; every other call refuses it.
		return &TokenError{Agent: "nomad", Env: "NOMAD_TOKEN", Reason: "ACL token expired at " + self.ExpirationTime.UTC().Format(time.RFC3339)}
	}
	return err
}

// connectError is the one-line error of a failed first call to an agent:
// a token it does not know, a TLS failure, else UnreachableError.
func connectError(agent, addr string, s tlsSettings, err error) error {
	var te *TokenError
	if errors.As(err, &te) {
		return te
	}
	if te := NomadTokenError(err); agent == "nomad" && te != nil {
		return te
	}
	if te := ConsulTokenError(err); agent == "consul" && te != nil {
		return te
	}
	// The probes need no right but a valid token: a bare 403 refuses it.
	var (
		ue nomad.UnexpectedResponseError
		se consul.StatusError
	)
	if errors.As(err, &ue) && ue.StatusCode() == http.StatusForbidden {
		return &TokenError{Agent: agent, Env: "NOMAD_TOKEN", Reason: strings.TrimSpace(ue.Body())}
	}
	if errors.As(err, &se) && se.Code == http.StatusForbidden {
		return &TokenError{Agent: agent, Env: ConsulTokenEnv(), Reason: se.Body}
	}
	if tlsErr := tlsFailure(agent, addr, s, err); tlsErr != nil {
		return tlsErr
	}
	return &UnreachableError{Agent: agent, Addr: addr, Env: s.addrEnv, Err: err}
}

// Consul returns a client of the Consul agent the environment names, once
// it has answered. Its calls end with ctx (see the package doc).
func Consul(ctx context.Context) (*consul.Client, error) {
	cfg := consul.DefaultConfig()
	c, err := consul.NewClient(cfg)
	if err != nil {
		return nil, errors.New(redact(fmt.Sprintf("consul client for %s: %v", cfg.Address, err)))
	}
	// After NewClient: it moves a scheme in the address to cfg.Scheme, and
	// made the HTTP client (TLS, a unix socket) that the client keeps.
	addr := consulURL(cfg)
	var tlsConfig *tls.Config
	if tr, ok := cfg.HttpClient.Transport.(*http.Transport); ok {
		tlsConfig = tr.TLSClientConfig
	}
	cfg.HttpClient.Transport = bind(ctx, cfg.HttpClient.Transport)
	if err := probeConsul(c, cfg.Token != ""); err != nil {
		if ctx.Err() != nil {
			return nil, interrupted(ctx, "consul")
		}
		return nil, connectError("consul", addr, tlsSettings{
			prefix: "CONSUL_", addrEnv: "CONSUL_HTTP_ADDR", caFile: cfg.TLSConfig.CAFile,
			caPath: cfg.TLSConfig.CAPath, clientCert: cfg.TLSConfig.CertFile, config: tlsConfig,
		}, err)
	}
	remember(c, cfg)
	return c, nil
}

// probeConsul asks the Consul agent a question every token may ask: with a
// token, who it is (/v1/acl/token/self, which tells an unknown token; the
// anonymous token cannot ask it), without, who leads.
func probeConsul(c *consul.Client, token bool) error {
	if !token {
		_, err := c.Status().Leader()
		return err
	}
	var self struct{ AccessorID string }
	_, err := c.Raw().Query("/v1/acl/token/self", &self, nil)
	var se consul.StatusError
	if errors.As(err, &se) && se.Code == http.StatusUnauthorized && strings.Contains(se.Body, "ACL support disabled") {
		return nil // the cluster has no ACLs: any token does
	}
	return err
}

// Both returns clients of both agents, Nomad first.
func Both(ctx context.Context) (*nomad.Client, *consul.Client, error) {
	n, err := Nomad(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := Consul(ctx)
	if err != nil {
		return nil, nil, err
	}
	return n, c, nil
}

// interrupted is the error of a probe the command's end cut short.
func interrupted(ctx context.Context, agent string) error {
	return fmt.Errorf("interrupted while asking the %s agent: %w", agent, context.Cause(ctx))
}

func consulURL(cfg *consul.Config) string {
	scheme := cfg.Scheme
	if scheme == "" {
		scheme = "http"
	}
	return scheme + "://" + cfg.Address
}
