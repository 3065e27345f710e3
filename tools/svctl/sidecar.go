package main

import (
	"fmt"
	"io"
	"os/exec"

	"microwizard/internal/svctl/run"
)

// chooseSidecar returns the pack variables for the sidecar that every node
// of the target can run, unless the user chose one with -var sidecar:
// Nomad's default (Envoy under docker) where they all have a healthy docker
// driver, else Envoy under raw_exec (from this machine's PATH locally, from
// the node's on a cluster), else, locally, Consul's built-in proxy. It says
// which. The user's own values lie over what it returns.
func chooseSidecar(t target, r *run.Request, out io.Writer) (map[string]string, error) {
	if chosen, ok := r.Var("sidecar"); ok {
		if t.cluster && chosen == "consul_proxy" {
			return nil, usageError{"-var sidecar=consul_proxy: Consul's built-in proxy has no upstream to MySQL here, which a run on a cluster needs; use envoy or envoy_raw_exec"}
		}
		return nil, nil
	}
	all := func(driver string) bool {
		for _, n := range t.nodes {
			if !n.HealthyDrivers[driver] {
				return false
			}
		}
		return len(t.nodes) > 0
	}
	switch {
	case all("docker"):
		fmt.Fprintln(out, "==> sidecar: Envoy under docker (Nomad's default)")
		return map[string]string{"sidecar": "envoy"}, nil
	case t.cluster && all("raw_exec"):
		fmt.Fprintln(out, "==> sidecar: Envoy from the node's PATH under raw_exec (no docker driver)")
		return map[string]string{"sidecar": "envoy_raw_exec"}, nil
	case t.cluster:
		return nil, fmt.Errorf("no sidecar can run on %s: neither a docker nor a raw_exec driver on every one", nodeNames(t.nodes))
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
