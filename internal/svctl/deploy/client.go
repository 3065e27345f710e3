// Package deploy submits rendered Nomad jobs, follows each until its instance is
// healthy in Consul, lists what runs, and stops it again.
//
// One svctl run is one Nomad job with one allocation: a run never touches the
// jobs of earlier runs, so instances already serving keep serving.
package deploy

import (
	"fmt"
	"io"
	"time"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"
)

// Client follows jobs on a Nomad cluster and their instances' health in
// Consul, and reports progress to the writer it was made with.
type Client struct {
	nomad  *nomad.Client
	consul *consul.Client
	out    io.Writer
	// poll is how often state is polled while following; 0 means 100ms
	// (the tests poll faster).
	poll time.Duration
}

// New returns a Client of the agents n and c (see package agents) that
// prints progress to out (nil: nowhere).
func New(n *nomad.Client, c *consul.Client, out io.Writer) *Client {
	return &Client{nomad: n, consul: c, out: out}
}

func (c *Client) pollEvery() time.Duration {
	if c.poll > 0 {
		return c.poll
	}
	return 100 * time.Millisecond
}

func (c *Client) printf(format string, args ...any) {
	if c.out != nil {
		fmt.Fprintf(c.out, format, args...)
	}
}
