package deploy

import (
	"fmt"
	"sort"
)

// Node is a Nomad client node as a run needs to know it.
type Node struct {
	ID, Name       string
	Ready          bool            // status ready and eligible for placement
	HealthyDrivers map[string]bool // the task drivers it has, healthy
}

// Nodes lists the cluster's client nodes, by name.
func (c *Client) Nodes() ([]Node, error) {
	stubs, _, err := c.nomad.Nodes().List(nil)
	if err != nil {
		return nil, fmt.Errorf("list Nomad nodes: %w", err)
	}
	nodes := make([]Node, 0, len(stubs))
	for _, s := range stubs {
		n := Node{ID: s.ID, Name: s.Name, Ready: s.Status == "ready" && s.SchedulingEligibility == "eligible", HealthyDrivers: map[string]bool{}}
		for name, d := range s.Drivers {
			if d != nil && d.Healthy {
				n.HealthyDrivers[name] = true
			}
		}
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	return nodes, nil
}
