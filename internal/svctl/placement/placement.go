// Package placement is the run's second stage: where a run goes, and so how
// what it runs gets there. On the local dev agent the node runs the copy
// and the binary in place; on a cluster (an eligible node is not this
// machine) or wherever an artifact store is configured, they are published
// to the store and the node fetches them. It also picks the Connect sidecar
// the nodes can run. What it sets in the job is what the pack's build.hcl
// declares (its cluster and sidecar blocks), never a name of its own.
package placement

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/gobuild"
	"microwizard/internal/svctl/pack"
	"microwizard/internal/svctl/render"
	"microwizard/internal/svctl/request"
	"microwizard/internal/svctl/snapshot"
)

// Target is where a run goes.
type Target struct {
	Placement pack.Placement // where the pack says the job may go
	Nodes     []deploy.Node  // the nodes that can run it
	Platform  gobuild.Platform
	Store     *artifacts.Store // nil: nothing is published
	Cluster   bool             // an eligible node is not this machine
	Why       string           // which mode, and why, for the user
	// Values are the pack variables the target sets, under the user's: the
	// pack's cluster block on a cluster.
	Values map[string]string
}

// Published reports whether the run publishes what it runs to the store.
func (t Target) Published() bool { return t.Store != nil }

// Choose reads the nodes that can run r (ready, in one of its datacenters,
// with its driver healthy, the one it is pinned to if it is) and decides,
// with the artifact store configured (nil: none) and publish (-publish).
// It fails, before anything is built, when no node can run it, when those
// nodes are of different kinds, when they are not this machine and no
// store is configured, and when publishing is forced without a store.
func Choose(nodes []deploy.Node, r *request.Request, store *artifacts.Store, publish bool) (Target, error) {
	pl, err := r.Pack.Build.Placement(r.Values())
	if err != nil {
		return Target{}, &request.InputError{Msg: fmt.Sprintf("pack %s: %v", r.Service, err)}
	}
	var eligible []deploy.Node
	for _, n := range nodes {
		if n.Ready && n.HealthyDrivers[pl.Driver] && (pl.Node == "" || n.Name == pl.Node) && inDatacenters(n.Datacenter, pl.Datacenters) {
			eligible = append(eligible, n)
		}
	}
	if len(eligible) == 0 {
		what := fmt.Sprintf("a healthy %s driver in datacenters %s", pl.Driver, strings.Join(pl.Datacenters, ", "))
		if pl.Node != "" {
			what = "the name " + pl.Node + " and " + what
		}
		return Target{}, fmt.Errorf("no ready Nomad node has %s (nodes: %s); nothing was built", what, nodeNames(nodes))
	}
	kinds := map[string][]string{}
	var remote []string
	for _, n := range eligible {
		kind := n.OS + "/" + n.Arch
		kinds[kind] = append(kinds[kind], n.Name)
		local, err := n.IsThisMachine()
		if err != nil {
			return Target{}, err
		}
		if !local {
			remote = append(remote, fmt.Sprintf("%s (%s)", n.Name, n.Address))
		}
	}
	if len(kinds) > 1 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(kinds)) {
			parts = append(parts, k+": "+strings.Join(kinds[k], ", "))
		}
		return Target{}, fmt.Errorf("the nodes that could run it are of different kinds (%s) and svctl builds one binary per run: pin it to one node or mark the others ineligible", strings.Join(parts, "; "))
	}
	t := Target{Placement: pl, Nodes: eligible, Platform: gobuild.Platform{OS: eligible[0].OS, Arch: eligible[0].Arch}, Store: store, Cluster: len(remote) > 0}
	switch {
	case publish && store == nil:
		return Target{}, NoStoreError()
	case t.Cluster && store == nil:
		return Target{}, fmt.Errorf("%s not this machine, and no artifact store is configured to get the service there: set SVCTL_ARTIFACTS=s3://BUCKET/PREFIX (README: Clusters); nothing was built", nodesAre(remote))
	case t.Cluster:
		t.Why = fmt.Sprintf("cluster: %s not this machine; publishing to %s for %s", nodesAre(remote), store, t.Platform)
	case store != nil && publish:
		t.Why = fmt.Sprintf("publishing to %s (-publish), for %s", store, t.Platform)
	case store != nil:
		t.Why = fmt.Sprintf("publishing to %s (SVCTL_ARTIFACTS is set), for %s", store, t.Platform)
	default:
		t.Why = "local: every node that could run it is this machine; it runs the copy in place"
	}
	if store != nil && r.Source.Kind == snapshot.Uncommitted {
		return Target{}, &request.InputError{Msg: "UNCOMMITTED runs the live tree in place, which a published run cannot: use UNCOMMITTED_COPY"}
	}
	t.Values = map[string]string{}
	if t.Cluster {
		if t.Values, err = r.Pack.Build.ClusterValues(r.Values()); err != nil {
			return Target{}, &request.InputError{Msg: fmt.Sprintf("pack %s: %v", r.Service, err)}
		}
		if err := t.clusterDriver(r); err != nil {
			return Target{}, err
		}
		if t.Placement.Driver == "raw_exec" {
			t.Why += "; driver raw_exec: the service runs as root on the node, with the node's whole filesystem"
		}
	}
	return t, nil
}

// clusterDriver applies a driver the pack's cluster values choose (exec,
// say: isolated in a chroot of what Nomad downloaded, where this machine's
// dev agent runs raw_exec) where every node that could run the job has it
// healthy. Where some do not, the cluster values that choose it are left
// out, and the run keeps the driver it was placed by, saying why. A driver
// the user gave (--var) is never changed: the user's values win.
func (t *Target) clusterDriver(r *request.Request) error {
	driverWith := func(cluster map[string]string) (string, error) {
		// The run's values with these chosen under the user's, as the
		// render will have them (what the run makes, placeholders).
		v, err := render.Values(r.ForJob("placement-job", "placement-owner"), render.Built{SourceDir: "/placeholder/src", Binary: "/placeholder/bin"}, cluster)
		if err != nil {
			return "", &request.InputError{Msg: fmt.Sprintf("pack %s: the cluster's values: %v", r.Service, err)}
		}
		pl, err := r.Pack.Build.Placement(v)
		if err != nil {
			return "", &request.InputError{Msg: fmt.Sprintf("pack %s: %v", r.Service, err)}
		}
		return pl.Driver, nil
	}
	driver, err := driverWith(t.Values)
	if err != nil || driver == t.Placement.Driver {
		return err
	}
	var lacking []string
	for _, n := range t.Nodes {
		if !n.HealthyDrivers[driver] {
			lacking = append(lacking, n.Name)
		}
	}
	if len(lacking) == 0 {
		t.Placement.Driver = driver
		t.Why += fmt.Sprintf("; driver %s (the pack's choice for a cluster)", driver)
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(t.Values)) {
		without := maps.Clone(t.Values)
		delete(without, k)
		if d, err := driverWith(without); err == nil && d == t.Placement.Driver {
			t.Why += fmt.Sprintf("; the pack's %s=%s left out: %s no healthy %s driver", k, t.Values[k], nodesHave(lacking), driver)
			delete(t.Values, k)
		}
	}
	return nil
}

// nodesHave is "node A has" or "nodes A, B have".
func nodesHave(names []string) string {
	if len(names) == 1 {
		return "node " + names[0] + " has"
	}
	return "nodes " + strings.Join(names, ", ") + " have"
}

// NoStoreError is -publish without an artifact store.
func NoStoreError() error {
	return &request.InputError{Msg: "-publish needs an artifact store: set SVCTL_ARTIFACTS=s3://BUCKET/PREFIX (README: Clusters)"}
}

// inDatacenters reports whether dc matches one of the job's datacenters,
// which may use Nomad's glob patterns ("*").
func inDatacenters(dc string, patterns []string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, dc); ok {
			return true
		}
	}
	return false
}

func nodeNames(nodes []deploy.Node) string {
	if len(nodes) == 0 {
		return "none"
	}
	var names []string
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	return strings.Join(names, ", ")
}

// nodesAre is "node A is" or "nodes A, B are".
func nodesAre(names []string) string {
	if len(names) == 1 {
		return "node " + names[0] + " is"
	}
	return "nodes " + strings.Join(names, ", ") + " are"
}
