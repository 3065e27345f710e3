package main

import (
	"fmt"
	"io"
	"os/exec"

	"microwizard/deploy"
)

// chooseSidecar sets the pack's sidecar variable to what the Nomad client can
// run, unless the user chose with --var sidecar: Nomad's default (Envoy under
// docker) where a node has a healthy docker driver, else the host's envoy
// binary under raw_exec, else Consul's built-in proxy. It says which.
func chooseSidecar(c *deploy.Client, vars varFlags, out io.Writer) error {
	if _, chosen := vars["sidecar"]; chosen {
		return nil
	}
	nodes, _, err := c.Nomad.Nodes().List(nil)
	if err != nil {
		return fmt.Errorf("list Nomad nodes: %w", err)
	}
	for _, n := range nodes {
		if d := n.Drivers["docker"]; n.Status == "ready" && d != nil && d.Healthy {
			vars["sidecar"] = "envoy"
			fmt.Fprintln(out, "==> sidecar: Envoy under docker (Nomad's default)")
			return nil
		}
	}
	if p, err := exec.LookPath("envoy"); err == nil {
		vars["sidecar"] = "envoy_raw_exec"
		if _, set := vars["envoy_binary"]; !set {
			vars["envoy_binary"] = p
		}
		fmt.Fprintf(out, "==> sidecar: Envoy from %s under raw_exec (no docker driver)\n", vars["envoy_binary"])
		return nil
	}
	p, err := exec.LookPath("consul")
	if err != nil {
		return fmt.Errorf("no sidecar can run here: no docker driver, and neither envoy nor consul on PATH")
	}
	vars["sidecar"] = "consul_proxy"
	if _, set := vars["consul_binary"]; !set {
		vars["consul_binary"] = p
	}
	fmt.Fprintln(out, "==> sidecar: Consul's built-in proxy (L4; no docker driver, no envoy on PATH)")
	return nil
}
