package deploy

import (
	"maps"
	"slices"
	"testing"

	nomad "github.com/hashicorp/nomad/api"
)

// TestNodesSayWhereARunCanGo: the cluster's nodes, by name, each ready
// only when Nomad has it ready and eligible for placement, with the
// drivers it has healthy, and the OS, CPU and address Nomad fingerprinted.
func TestNodesSayWhereARunCanGo(t *testing.T) {
	c, fn, _ := newFakes(t, nil)
	drivers := map[string]*nomad.DriverInfo{"exec": {Detected: true, Healthy: true}, "docker": {Detected: true, Healthy: false}, "raw_exec": nil}
	fn.nodes = []*nomad.NodeListStub{
		{ID: "id-c", Name: "c-draining", Datacenter: "dc1", Status: "ready", SchedulingEligibility: "ineligible", Drivers: drivers},
		{ID: "id-a", Name: "a-arm", Datacenter: "dc1", Status: "ready", SchedulingEligibility: "eligible", Drivers: drivers},
		{ID: "id-b", Name: "b-down", Datacenter: "dc2", Status: "down", SchedulingEligibility: "eligible", Drivers: drivers},
	}
	for id, arch := range map[string]string{"id-a": "arm64", "id-b": "amd64", "id-c": "amd64"} {
		fn.node[id] = &nomad.Node{ID: id, Attributes: map[string]string{"kernel.name": "linux", "cpu.arch": arch, "unique.network.ip-address": "10.0.0." + id[3:]}}
	}
	nodes, err := c.Nodes()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	if want := []string{"a-arm", "b-down", "c-draining"}; !slices.Equal(names, want) {
		t.Fatalf("nodes %v, want %v", names, want)
	}
	for i, want := range []struct {
		ready      bool
		arch, addr string
		datacenter string
	}{{true, "arm64", "10.0.0.a", "dc1"}, {false, "amd64", "10.0.0.b", "dc2"}, {false, "amd64", "10.0.0.c", "dc1"}} {
		n := nodes[i]
		if n.Ready != want.ready || n.OS != "linux" || n.Arch != want.arch || n.Address != want.addr || n.Datacenter != want.datacenter {
			t.Errorf("node %s: ready %v, %s/%s at %s in %s; want ready %v, linux/%s at %s in %s", n.Name, n.Ready, n.OS, n.Arch, n.Address, n.Datacenter, want.ready, want.arch, want.addr, want.datacenter)
		}
		if got := slices.Sorted(maps.Keys(n.HealthyDrivers)); !slices.Equal(got, []string{"exec"}) {
			t.Errorf("node %s: healthy drivers %v, want only exec", n.Name, got)
		}
	}
}

// TestIsThisMachine: a node is this machine when its address is one of
// this machine's interfaces' (loopback is one of every machine's), and not
// when it is another address or none.
func TestIsThisMachine(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1": true, "192.0.2.77": false, "": false, "not an address": false} {
		got, err := Node{Name: "n", Address: addr}.IsThisMachine()
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("a node at %q is this machine: %v, want %v", addr, got, want)
		}
	}
}
