package placement

import (
	"fmt"
	"io"
	"os/exec"

	"microwizard/internal/svctl/request"
)

// Sidecar returns the pack variables for the Connect sidecar that every
// node of the target can run, as the pack's sidecar block names them,
// unless the user chose one with --var: Nomad's default (Envoy under
// docker) where they all have a healthy docker driver, else Envoy under
// raw_exec (from this machine's PATH locally, from the node's on a
// cluster), else, locally, Consul's built-in proxy. It says which. A pack
// without a sidecar block gets nothing. The user's own values lie over
// what it returns.
func Sidecar(t Target, r *request.Request, out io.Writer) (map[string]string, error) {
	s := r.Pack.Build.Sidecar
	if s == nil {
		return nil, nil
	}
	if chosen, ok := r.Var(s.Variable); ok {
		if t.Cluster && s.ConsulProxy != "" && chosen == s.ConsulProxy {
			return nil, &request.InputError{Msg: fmt.Sprintf("-var %s=%s: Consul's built-in proxy is L4 and runs only on this machine (it has no upstreams here), and the run goes to a cluster; use %s", s.Variable, chosen, orNames(s.Docker, s.RawExec))}
		}
		return nil, nil
	}
	all := func(driver string) bool {
		for _, n := range t.Nodes {
			if !n.HealthyDrivers[driver] {
				return false
			}
		}
		return len(t.Nodes) > 0
	}
	switch {
	case s.Docker != "" && all("docker"):
		fmt.Fprintln(out, "==> sidecar: Envoy under docker (Nomad's default)")
		return map[string]string{s.Variable: s.Docker}, nil
	case t.Cluster && s.RawExec != "" && all("raw_exec"):
		fmt.Fprintln(out, "==> sidecar: Envoy from the node's PATH under raw_exec (no docker driver)")
		return map[string]string{s.Variable: s.RawExec}, nil
	case t.Cluster:
		return nil, fmt.Errorf("no sidecar can run on %s: neither a docker nor a raw_exec driver on every one", nodeNames(t.Nodes))
	}
	if p, err := exec.LookPath("envoy"); err == nil && s.RawExec != "" {
		vals := map[string]string{s.Variable: s.RawExec}
		if s.EnvoyBinary != "" {
			vals[s.EnvoyBinary] = p
			if v, set := r.Var(s.EnvoyBinary); set {
				p = v
			}
		}
		fmt.Fprintf(out, "==> sidecar: Envoy from %s under raw_exec (no docker driver)\n", p)
		return vals, nil
	}
	p, err := exec.LookPath("consul")
	if err != nil || s.ConsulProxy == "" {
		return nil, fmt.Errorf("no sidecar can run here: no docker driver, and neither envoy nor consul on PATH")
	}
	fmt.Fprintln(out, "==> sidecar: Consul's built-in proxy (L4; no docker driver, no envoy on PATH)")
	vals := map[string]string{s.Variable: s.ConsulProxy}
	if s.ConsulBinary != "" {
		vals[s.ConsulBinary] = p
	}
	return vals, nil
}

func orNames(a, b string) string {
	switch {
	case a != "" && b != "":
		return a + " or " + b
	case a != "":
		return a
	}
	return b
}
