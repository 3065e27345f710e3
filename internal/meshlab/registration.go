package meshlab

import (
	"fmt"
	"maps"
	"net"
	"strconv"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"
)

// Placement is where the lab puts one allocation of a group on this host.
//
// Under Nomad the allocation has a network namespace in which the service
// listens on the job's port (a number such as "5000"), and the sidecar's
// port is a host port of its own. On the host every process shares one
// loopback, so each allocation gets free ports standing in for those.
type Placement struct {
	JobID       string // the job the allocation belongs to
	AllocID     string // stands for the Nomad allocation: in service IDs, and NOMAD_ALLOC_ID
	Address     string // the address services are registered with: 127.0.0.1
	ServicePort int    // stands for the service's port in the namespace
	SidecarPort int    // the Connect sidecar's public port
}

// ExternalSourceMeta is the service meta key and value Nomad adds to every
// service it registers in Consul.
const (
	ExternalSourceMeta  = "external-source"
	ExternalSourceNomad = "nomad"
)

// ServiceID returns the Consul service ID Nomad gives a group service of an
// allocation: _nomad-task-<alloc>-group-<group>-<service>-<port label>.
func ServiceID(allocID, group string, s *nomad.Service) string {
	return fmt.Sprintf("_nomad-task-%s-group-%s-%s-%s", allocID, group, s.Name, s.PortLabel)
}

// ConsulService returns the group's one service registered in Consul, and
// fails if there is not exactly one.
func ConsulService(tg *nomad.TaskGroup) (*nomad.Service, error) {
	var found []*nomad.Service
	for _, s := range tg.Services {
		if s.Provider == "" || s.Provider == nomad.ServiceProviderConsul {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("group %s has %d Consul services; the lab runs groups with exactly one", name(tg), len(found))
	}
	return found[0], nil
}

// Registration returns the Consul registration of the group's service for
// one allocation placed at p, as Nomad makes it: the service's name, tags and
// meta (plus external-source = nomad), its checks with the job's path,
// interval and timeout, and its Connect sidecar with the job's proxy settings
// and upstreams, an alias check on the service, and the sidecar's TCP check
// unless the job disables it.
//
// A check that Nomad would route through the sidecar (expose = true), because
// Consul's agent cannot reach into the namespace, targets the service at
// p.Address directly: on the host there is no namespace.
func Registration(tg *nomad.TaskGroup, p Placement) (*consul.AgentServiceRegistration, error) {
	s, err := ConsulService(tg)
	if err != nil {
		return nil, err
	}
	if s.Name == "" {
		return nil, fmt.Errorf("group %s: the service has no name", name(tg))
	}
	port, err := strconv.Atoi(s.PortLabel)
	if err != nil {
		return nil, fmt.Errorf("service %s: port %q is not a number: the lab maps a numeric service port only", s.Name, s.PortLabel)
	}
	id := ServiceID(p.AllocID, name(tg), s)
	meta := maps.Clone(s.Meta)
	if meta == nil {
		meta = map[string]string{}
	}
	meta[ExternalSourceMeta] = ExternalSourceNomad
	reg := &consul.AgentServiceRegistration{
		ID:      id,
		Name:    s.Name,
		Tags:    s.Tags,
		Meta:    meta,
		Address: p.Address,
		Port:    p.ServicePort,
	}
	for _, c := range s.Checks {
		check, err := checkRegistration(s.Name, c, p)
		if err != nil {
			return nil, err
		}
		reg.Checks = append(reg.Checks, check)
	}
	if s.Connect != nil && s.Connect.SidecarService != nil {
		sidecar, err := sidecarRegistration(id, name(tg), port, s.Connect.SidecarService, p)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", s.Name, err)
		}
		reg.Connect = &consul.AgentServiceConnect{SidecarService: sidecar}
	}
	return reg, nil
}

// checkRegistration turns a job's check into Consul's, aimed at the service
// at p.
func checkRegistration(service string, c nomad.ServiceCheck, p Placement) (*consul.AgentServiceCheck, error) {
	addr := net.JoinHostPort(p.Address, strconv.Itoa(p.ServicePort))
	check := &consul.AgentServiceCheck{
		Name:     c.Name,
		Interval: c.Interval.String(),
		Timeout:  c.Timeout.String(),
	}
	if c.Timeout == 0 {
		check.Timeout = ""
	}
	switch c.Type {
	case "http":
		scheme := "http"
		if c.Protocol != "" {
			scheme = c.Protocol
		}
		check.HTTP = scheme + "://" + addr + c.Path
		check.Method = c.Method
	case "tcp":
		check.TCP = addr
	default:
		return nil, fmt.Errorf("service %s: check %q of type %q: the lab runs http and tcp checks only", service, c.Name, c.Type)
	}
	if c.Interval <= 0 {
		return nil, fmt.Errorf("service %s: check %q has no interval", service, c.Name)
	}
	return check, nil
}

// sidecarRegistration is the Connect sidecar of service id, which listens on
// servicePort in the job.
func sidecarRegistration(id, group string, servicePort int, ss *nomad.ConsulSidecarService, p Placement) (*consul.AgentServiceRegistration, error) {
	proxy := &consul.AgentServiceConnectProxyConfig{
		LocalServiceAddress: "127.0.0.1",
		LocalServicePort:    p.ServicePort,
		// Nomad labels the sidecar's metrics with where it runs.
		Config: map[string]any{"envoy_stats_tags": []any{
			"nomad.alloc_id=" + p.AllocID, "nomad.group=" + group, "nomad.job=" + p.JobID, "nomad.namespace=default",
		}},
	}
	if jp := ss.Proxy; jp != nil {
		if jp.LocalServiceAddress != "" {
			proxy.LocalServiceAddress = jp.LocalServiceAddress
		}
		maps.Copy(proxy.Config, jp.Config)
		if jp.LocalServicePort != 0 && jp.LocalServicePort != servicePort {
			return nil, fmt.Errorf("the sidecar's local_service_port %d is not the service's port %d; the lab cannot map it", jp.LocalServicePort, servicePort)
		}
		for _, u := range jp.Upstreams {
			proxy.Upstreams = append(proxy.Upstreams, consul.Upstream{
				DestinationType:  consul.UpstreamDestTypeService,
				DestinationName:  u.DestinationName,
				Datacenter:       u.Datacenter,
				LocalBindAddress: u.LocalBindAddress,
				LocalBindPort:    u.LocalBindPort,
			})
		}
	}
	// Nomad's: the sidecar is as healthy as its service, and listening.
	checks := consul.AgentServiceChecks{{
		Name:         "Connect Sidecar Aliasing " + id,
		AliasService: id,
	}}
	if !ss.DisableDefaultTCPCheck {
		checks = append(checks, &consul.AgentServiceCheck{
			Name:     "Connect Sidecar Listening",
			TCP:      net.JoinHostPort(p.Address, strconv.Itoa(p.SidecarPort)),
			Interval: "10s",
		})
	}
	return &consul.AgentServiceRegistration{
		Tags:    ss.Tags,
		Meta:    ss.Meta,
		Address: p.Address,
		Port:    p.SidecarPort,
		Proxy:   proxy,
		Checks:  checks,
	}, nil
}

// name returns a group's name.
func name(tg *nomad.TaskGroup) string {
	if tg.Name == nil {
		return ""
	}
	return *tg.Name
}
