package main

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/gobuild"
	"microwizard/internal/svctl/run"
	"microwizard/internal/svctl/snapshot"
)

// target is where a run goes, and so how what it runs gets there: on the
// local dev agent the node runs the copy and the binary in place; on a
// cluster (an eligible node is not this machine) or wherever an artifact
// store is configured, they are published to the store and the node fetches
// them.
type target struct {
	driver   string        // the task driver of the run (the user's, else the pack's)
	nodes    []deploy.Node // the nodes that can run it
	platform gobuild.Platform
	store    *artifacts.Store // nil: nothing is published
	cluster  bool             // an eligible node is not this machine
	why      string           // which mode, and why, for the user
	dsn      string           // on a cluster: the demo database through the mysql upstream
}

// chooseTarget reads the nodes that can run r (ready, in one of its
// datacenters, with its driver healthy, the one it is pinned to if it is)
// and the artifact store configuration, and decides. It fails, before
// anything is built, when no node can run it, when those nodes are of
// different kinds, when they are not this machine and no store is
// configured, and when publishing is forced without a store.
func chooseTarget(d *deploy.Client, r *run.Request, store *artifacts.Store, publish bool) (target, error) {
	vals, err := r.Values(run.Built{}, nil)
	if err != nil {
		return target{}, &run.InputError{Msg: err.Error()}
	}
	driver, _ := vals["driver"].(string)
	pinned, _ := vals["node"].(string)
	var dcs []string
	if list, ok := vals["datacenters"].([]any); ok {
		for _, dc := range list {
			if s, ok := dc.(string); ok {
				dcs = append(dcs, s)
			}
		}
	}
	nodes, err := d.Nodes()
	if err != nil {
		return target{}, err
	}
	var eligible []deploy.Node
	for _, n := range nodes {
		if n.Ready && n.HealthyDrivers[driver] && (pinned == "" || n.Name == pinned) && inDatacenters(n.Datacenter, dcs) {
			eligible = append(eligible, n)
		}
	}
	if len(eligible) == 0 {
		what := fmt.Sprintf("a healthy %s driver in datacenters %s", driver, strings.Join(dcs, ", "))
		if pinned != "" {
			what = "the name " + pinned + " and " + what
		}
		return target{}, fmt.Errorf("no ready Nomad node has %s (nodes: %s); nothing was built", what, nodeNames(nodes))
	}
	kinds := map[string][]string{}
	var remote []string
	for _, n := range eligible {
		kind := n.OS + "/" + n.Arch
		kinds[kind] = append(kinds[kind], n.Name)
		local, err := n.IsThisMachine()
		if err != nil {
			return target{}, err
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
		return target{}, fmt.Errorf("the nodes that could run it are of different kinds (%s) and svctl builds one binary per run: pin it to one node (-var node=NAME) or mark the others ineligible", strings.Join(parts, "; "))
	}
	t := target{driver: driver, nodes: eligible, platform: gobuild.Platform{OS: eligible[0].OS, Arch: eligible[0].Arch}, store: store, cluster: len(remote) > 0}
	switch {
	case publish && store == nil:
		return target{}, usageError{"-publish needs an artifact store: set SVCTL_ARTIFACTS=s3://BUCKET/PREFIX (README: Clusters)"}
	case t.cluster && store == nil:
		return target{}, fmt.Errorf("%s not this machine, and no artifact store is configured to get the service there: set SVCTL_ARTIFACTS=s3://BUCKET/PREFIX (README: Clusters); nothing was built", nodesAre(remote))
	case t.cluster:
		t.why = fmt.Sprintf("cluster: %s not this machine; publishing to %s for %s", nodesAre(remote), store, t.platform)
	case store != nil && publish:
		t.why = fmt.Sprintf("publishing to %s (-publish), for %s", store, t.platform)
	case store != nil:
		t.why = fmt.Sprintf("publishing to %s (SVCTL_ARTIFACTS is set), for %s", store, t.platform)
	default:
		t.why = "local: every node that could run it is this machine; it runs the copy in place"
	}
	if store != nil && r.Source.Kind == snapshot.Uncommitted {
		return target{}, usageError{"UNCOMMITTED runs the live tree in place, which a published run cannot: use UNCOMMITTED_COPY"}
	}
	if t.cluster {
		port := fmt.Sprint(vals["mysql_upstream_port"])
		t.dsn = "lobsters:lobsters@tcp(127.0.0.1:" + port + ")/lobsters?parseTime=true"
	}
	return t, nil
}

// values are the pack variables the target chooses, under the user's: on a
// cluster nothing of one host's filesystem or networks, and the demo's
// database through the mesh.
func (t target) values() map[string]string {
	if !t.cluster {
		return map[string]string{}
	}
	return map[string]string{
		"host_network":     "",
		"mysql_socket_dir": "",
		"mysql_upstream":   "mysql",
		"dsn":              t.dsn,
	}
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
