// Package deploy submits rendered Nomad jobs, follows each until its instance is
// healthy in Consul, lists what runs, and stops it again.
//
// One svctl run is one Nomad job with one allocation: a run never touches the
// jobs of earlier runs, so instances already serving keep serving.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"
)

// Client talks to the Nomad and Consul agents and reports progress to Out.
type Client struct {
	Nomad      *nomad.Client
	Consul     *consul.Client
	NomadAddr  string
	ConsulAddr string
	Out        io.Writer
	// Poll is how often state is polled while following; 0 means 100ms.
	Poll time.Duration
}

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
	return fmt.Sprintf("%s: no agent answers at %s (%s): %s", e.Agent, e.Addr, e.Env, reason)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Connect builds clients from the environment, exactly as the official CLIs
// read it (NOMAD_ADDR, NOMAD_TOKEN, NOMAD_REGION, ..., CONSUL_HTTP_ADDR,
// CONSUL_HTTP_TOKEN, ...), and checks that both agents answer. An agent that
// does not answer gives one line naming it and its address.
func Connect(ctx context.Context, out io.Writer) (*Client, error) {
	ncfg := nomad.DefaultConfig()
	nc, err := nomad.NewClient(ncfg)
	if err != nil {
		return nil, fmt.Errorf("nomad client for %s: %w", ncfg.Address, err)
	}
	ccfg := consul.DefaultConfig()
	cc, err := consul.NewClient(ccfg)
	if err != nil {
		return nil, fmt.Errorf("consul client for %s: %w", ccfg.Address, err)
	}
	c := &Client{Nomad: nc, Consul: cc, NomadAddr: ncfg.Address, ConsulAddr: consulURL(ccfg), Out: out}
	if err := c.Check(); err != nil {
		return nil, err
	}
	return c, nil
}

func consulURL(cfg *consul.Config) string {
	scheme := cfg.Scheme
	if scheme == "" {
		scheme = "http"
	}
	return scheme + "://" + cfg.Address
}

// Check asks each agent who it is.
func (c *Client) Check() error {
	if _, err := c.Nomad.Agent().Self(); err != nil {
		return &UnreachableError{Agent: "nomad", Addr: c.NomadAddr, Env: "NOMAD_ADDR", Err: err}
	}
	if _, err := c.Consul.Status().Leader(); err != nil {
		return &UnreachableError{Agent: "consul", Addr: c.ConsulAddr, Env: "CONSUL_HTTP_ADDR", Err: err}
	}
	return nil
}

func (c *Client) poll() time.Duration {
	if c.Poll > 0 {
		return c.Poll
	}
	return 100 * time.Millisecond
}

func (c *Client) printf(format string, args ...any) {
	if c.Out != nil {
		fmt.Fprintf(c.Out, format, args...)
	}
}
