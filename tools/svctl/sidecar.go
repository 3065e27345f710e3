package main

import (
	"fmt"
	"io"
	"os/exec"

	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/run"
)

// chooseSidecar returns the pack variables for the sidecar the Nomad
// clients can run, unless the user chose one with --var sidecar: Nomad's
// default (Envoy under docker) where a node has a healthy docker driver,
// else the host's envoy binary under raw_exec, else Consul's built-in proxy.
// It says which. The user's own values lie over what it returns. On a
// cluster the sidecar's binary comes from the node (its PATH, or the image),
// never from this machine's PATH.
func chooseSidecar(d *deploy.Client, r *run.Request, out io.Writer, cluster bool) (map[string]string, error) {
	if _, chosen := r.Var("sidecar"); chosen {
		return nil, nil
	}
	nodes, err := d.Nodes()
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if n.Ready && n.HealthyDrivers["docker"] {
			fmt.Fprintln(out, "==> sidecar: Envoy under docker (Nomad's default)")
			return map[string]string{"sidecar": "envoy"}, nil
		}
	}
	if cluster {
		fmt.Fprintln(out, "==> sidecar: Envoy from the node's PATH under raw_exec (no docker driver)")
		return map[string]string{"sidecar": "envoy_raw_exec"}, nil
	}
	if p, err := exec.LookPath("envoy"); err == nil {
		vals := map[string]string{"sidecar": "envoy_raw_exec", "envoy_binary": p}
		if v, set := r.Var("envoy_binary"); set {
			p = v
		}
		fmt.Fprintf(out, "==> sidecar: Envoy from %s under raw_exec (no docker driver)\n", p)
		return vals, nil
	}
	p, err := exec.LookPath("consul")
	if err != nil {
		return nil, fmt.Errorf("no sidecar can run here: no docker driver, and neither envoy nor consul on PATH")
	}
	fmt.Fprintln(out, "==> sidecar: Consul's built-in proxy (L4; no docker driver, no envoy on PATH)")
	return map[string]string{"sidecar": "consul_proxy", "consul_binary": p}, nil
}
