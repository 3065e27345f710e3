package deploy

import (
	"fmt"
	"testing"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"
)

// The allocation whose health the tests ask for, and another one of the
// same service registered in Consul beside it.
const (
	allocID = "3f2a1b4c-5d6e-4f70-8192-a3b4c5d6e7f8"
	otherID = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a"
)

// entry is the Consul catalog entry Nomad registers for the service of an
// allocation (its sidecar when service ends in -sidecar-proxy): its service
// ID embeds the allocation ID, and its checks have the statuses given.
func entry(service, alloc, addr string, port int, statuses ...string) *consul.ServiceEntry {
	id := fmt.Sprintf("_nomad-task-%s-group-web-%s-http", alloc, service)
	e := &consul.ServiceEntry{
		Node:    &consul.Node{Node: "node-1", Address: addr},
		Service: &consul.AgentService{ID: id, Service: service, Address: addr, Port: port},
	}
	for i, s := range statuses {
		e.Checks = append(e.Checks, &consul.HealthCheck{Node: "node-1", CheckID: fmt.Sprintf("%s-%d", id, i), Name: "check", Status: s, ServiceID: id, ServiceName: service})
	}
	return e
}

// TestHealthOfAnInstance: what Consul's catalog says of an allocation's
// service and sidecar makes it healthy (where run reaches it) or not (and
// what run prints), and what ps shows, whatever other allocations of the
// service are registered beside it; ps shows only allocations Nomad wants
// running.
func TestHealthOfAnInstance(t *testing.T) {
	const side = "web-sidecar-proxy"
	for _, tc := range []struct {
		name     string
		app, sc  *consul.ServiceEntry // this allocation's entries; nil: not registered
		addr     string               // where run reaches the instance once healthy, "" while not
		summary  string               // what run prints of its health
		psHealth string               // ps's Consul health column
		psAddr   string               // ps's address column
	}{
		{"service and sidecar passing",
			entry("web", allocID, "10.0.0.5", 8080, "passing"), entry(side, allocID, "10.0.0.5", 24567, "passing"),
			"10.0.0.5:24567", "web passing, sidecar passing at 10.0.0.5:24567", "passing", "10.0.0.5:24567"},
		{"sidecar not passing",
			entry("web", allocID, "10.0.0.5", 8080, "passing"), entry(side, allocID, "10.0.0.5", 24567, "passing", "critical"),
			"", "web passing, sidecar critical at 10.0.0.5:24567", "sidecar critical", "10.0.0.5:24567"},
		{"service not passing",
			entry("web", allocID, "10.0.0.5", 8080, "warning"), entry(side, allocID, "10.0.0.5", 24567, "passing"),
			"", "web warning, sidecar passing at 10.0.0.5:24567", "warning", "10.0.0.5:24567"},
		{"no registration yet", nil, nil, "", "web: not registered yet", "unregistered", ""},
		{"sidecar registered before the service", nil, entry(side, allocID, "10.0.0.5", 24567, "passing"),
			"", "web: not registered yet", "unregistered", "10.0.0.5:24567"},
		{"a service without sidecar passing", entry("web", allocID, "10.0.0.5", 8080, "passing"), nil,
			"10.0.0.5:8080", "web passing", "passing", "10.0.0.5:8080"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, fn, fc := newFakes(t, nil)
			// Another allocation's entries, healthy, listed first: only the
			// entries whose service ID holds this allocation's ID count.
			fc.entries["web"] = []*consul.ServiceEntry{entry("web", otherID, "10.0.0.9", 8080, "passing")}
			fc.entries[side] = []*consul.ServiceEntry{entry(side, otherID, "10.0.0.9", 25000, "passing")}
			if tc.app != nil {
				fc.entries["web"] = append(fc.entries["web"], tc.app)
			}
			if tc.sc != nil {
				fc.entries[side] = append(fc.entries[side], tc.sc)
			}

			h, err := c.healthOf("web", allocID)
			if err != nil {
				t.Fatal(err)
			}
			addr, summary := "", h.summary("web")
			if h.healthy() {
				addr = h.address()
			}
			if addr != tc.addr || summary != tc.summary {
				t.Errorf("run sees address %q, health %q; want %q, %q", addr, summary, tc.addr, tc.summary)
			}

			fn.jobs = []*nomad.JobListStub{svctlJob("web-1", "web", "web", "running", 1)}
			// Beside the instance, an allocation of the job Nomad has stopped:
			// not one ps shows.
			fn.allocs["web-1"] = [][]*nomad.AllocationListStub{{stub(otherID, "web-1", "stop", "complete"), stub(allocID, "web-1", "run", "running")}}
			rows, err := c.Instances("")
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 {
				t.Fatalf("ps shows %d rows, want the one instance: %+v", len(rows), rows)
			}
			r := rows[0]
			if r.ConsulHealth != tc.psHealth || r.Address != tc.psAddr {
				t.Errorf("ps shows health %q at %q, want %q at %q", r.ConsulHealth, r.Address, tc.psHealth, tc.psAddr)
			}
			if r.JobID != "web-1" || r.AllocID != allocID || r.Service != "web" || r.Name != "web" || r.NomadStatus != "running" || r.Commit != "abc1234" {
				t.Errorf("ps row %+v does not describe allocation %s of job web-1", r, allocID)
			}
		})
	}
}
