package meshlab

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"
	consul "github.com/hashicorp/consul/api"

	"microwizard/internal/freeport"
)

// Caller is a service no job describes, registered by hand with a sidecar and
// one upstream: a client of the mesh such as one the intentions do not allow.
type Caller struct {
	Name        string
	Destination string
	// UpstreamURL is the sidecar's upstream listener for Destination:
	// http://127.0.0.1:PORT/.
	UpstreamURL string

	lab      *Lab
	id       string
	sidecar  *sidecar
	stopOnce sync.Once
	stopErr  error
}

// AddCaller registers the service name, with a Connect sidecar whose one
// upstream is destination on a free loopback port, and runs the sidecar. It
// returns once the sidecar has a healthy endpoint of destination, so that a
// request through it reaches an instance (and its intentions).
func (l *Lab) AddCaller(ctx context.Context, name, destination string) (*Caller, error) {
	ports, err := freeport.Ports(4)
	if err != nil {
		return nil, err
	}
	c := &Caller{
		Name:        name,
		Destination: destination,
		UpstreamURL: fmt.Sprintf("http://127.0.0.1:%d/", ports[2]),
		lab:         l,
		id:          name + "-" + uuid.NewString()[:8],
	}
	reg := &consul.AgentServiceRegistration{
		ID:      c.id,
		Name:    name,
		Address: "127.0.0.1",
		Port:    ports[0], // nothing listens: the caller only calls
		Connect: &consul.AgentServiceConnect{SidecarService: &consul.AgentServiceRegistration{
			Address: "127.0.0.1",
			Port:    ports[1],
			Proxy: &consul.AgentServiceConnectProxyConfig{
				Upstreams: []consul.Upstream{{
					DestinationType: consul.UpstreamDestTypeService,
					DestinationName: destination,
					LocalBindPort:   ports[2],
				}},
			},
			Checks: consul.AgentServiceChecks{{Name: "Connect Sidecar Aliasing " + c.id, AliasService: c.id}},
		}},
	}
	if err := l.Consul.Client.Agent().ServiceRegister(reg); err != nil {
		return nil, fmt.Errorf("register %s: %w", name, err)
	}
	l.mu.Lock()
	l.callers = append(l.callers, c)
	l.mu.Unlock()
	if c.sidecar, err = l.startSidecar(ctx, c.id, name, ports[3], l.callerSidecar); err != nil {
		c.Stop()
		return nil, err
	}
	err = poll(ctx, healthyTimeout, c.sidecar.proc, func() (bool, error) {
		hosts, err := c.sidecar.healthyHosts(ctx, destination)
		return err == nil && len(hosts) > 0, nil
	}, func() string { return fmt.Sprintf("%s's Envoy has no healthy endpoint of %s", name, destination) })
	if err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// Stop deregisters the caller and stops its sidecar.
func (c *Caller) Stop() error {
	c.stopOnce.Do(func() {
		if err := c.lab.Consul.Client.Agent().ServiceDeregister(c.id); err != nil {
			c.stopErr = fmt.Errorf("deregister %s: %w", c.id, err)
		}
		if err := c.sidecar.stop(); err != nil && c.stopErr == nil {
			c.stopErr = err
		}
	})
	return c.stopErr
}
