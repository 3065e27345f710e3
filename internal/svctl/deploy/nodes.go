package deploy

import (
	"fmt"
	"net"
	"sort"
)

// Node is a Nomad client node as a run needs to know it.
type Node struct {
	ID, Name       string
	Datacenter     string
	Ready          bool            // status ready and eligible for placement
	HealthyDrivers map[string]bool // the task drivers it has, healthy
	OS, Arch       string          // kernel.name and cpu.arch, as Go names them
	Address        string          // unique.network.ip-address: where it is reached
}

// Nodes lists the cluster's client nodes, by name.
func (c *Client) Nodes() ([]Node, error) {
	stubs, _, err := c.nomad.Nodes().List(nil)
	if err != nil {
		return nil, fmt.Errorf("list Nomad nodes: %w", err)
	}
	nodes := make([]Node, 0, len(stubs))
	for _, s := range stubs {
		n := Node{ID: s.ID, Name: s.Name, Datacenter: s.Datacenter, Ready: s.Status == "ready" && s.SchedulingEligibility == "eligible", HealthyDrivers: map[string]bool{}}
		for name, d := range s.Drivers {
			if d != nil && d.Healthy {
				n.HealthyDrivers[name] = true
			}
		}
		info, _, err := c.nomad.Nodes().Info(s.ID, nil)
		if err != nil {
			return nil, fmt.Errorf("read node %s: %w", s.Name, err)
		}
		n.OS, n.Arch, n.Address = info.Attributes["kernel.name"], info.Attributes["cpu.arch"], info.Attributes["unique.network.ip-address"]
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	return nodes, nil
}

// IsThisMachine reports whether the node is the machine svctl runs on: its
// address (the one Nomad fingerprinted on its network interface) is one of
// this machine's interface addresses. A node in another network namespace,
// VM or host has an address this machine does not.
func (n Node) IsThisMachine() (bool, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false, fmt.Errorf("this machine's addresses: %w", err)
	}
	ip := net.ParseIP(n.Address)
	if ip == nil {
		return false, nil
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.Equal(ip) {
			return true, nil
		}
	}
	return false, nil
}
