// Package env is what every svctl command works in, built once per command
// and handed to it, as the Nomad CLI's Meta is: the repository (its root
// and its packs), the data dir, and the agents' clients. Each part is found
// when first asked for, and its error, if any, is the same every time.
package env

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/svctl/agents"
	"microwizard/internal/svctl/datadir"
	"microwizard/internal/svctl/owner"
	"microwizard/internal/svctl/pack"
)

// Env is one command's environment.
type Env struct {
	ctx       context.Context
	namespace string

	workspace func() (workspace, error)
	data      func() (datadir.Dir, error)
	nomad     func() (*nomad.Client, error)
	consul    func() (*consul.Client, error)
	owner     func() (string, error)
}

type workspace struct{ root, packs string }

// New is the environment of a command that runs until ctx ends: the agents'
// clients it gives are bound to ctx. namespace is the Nomad namespace the
// command works in ("": NOMAD_NAMESPACE, else Nomad's default).
func New(ctx context.Context, namespace string) *Env {
	if namespace == "" {
		namespace = os.Getenv("NOMAD_NAMESPACE")
	}
	e := &Env{
		ctx:       ctx,
		namespace: namespace,
		workspace: sync.OnceValues(findWorkspace),
		data:      sync.OnceValues(datadir.Default),
		nomad: sync.OnceValues(func() (*nomad.Client, error) {
			nc, err := agents.Nomad(ctx)
			if err != nil || namespace == "" {
				return nc, err
			}
			nc.SetNamespace(namespace)
			return nc, checkNamespace(nc, namespace)
		}),
		consul: sync.OnceValues(func() (*consul.Client, error) { return agents.Consul(ctx) }),
	}
	e.owner = sync.OnceValues(func() (string, error) {
		if v, err := owner.FromEnv(); v != "" || err != nil {
			return v, err
		}
		nc, err := e.Nomad()
		if err != nil {
			return "", err
		}
		root, _ := e.Root()
		return owner.Find(ctx, nc, root)
	})
	return e
}

// Namespace is the Nomad namespace the command works in.
func (e *Env) Namespace() string {
	if e.namespace == "" {
		return "default"
	}
	return e.namespace
}

// NamespaceError is a Nomad namespace that does not exist.
type NamespaceError struct{ msg string }

func (e *NamespaceError) Error() string { return e.msg }

// BadInput marks the error as the user's mistake (exit status 2).
func (e *NamespaceError) BadInput() bool { return true }

// checkNamespace refuses a namespace Nomad does not have, naming those it
// has.
func checkNamespace(nc *nomad.Client, ns string) error {
	if _, _, err := nc.Namespaces().Info(ns, nil); err == nil {
		return nil
	} else if !strings.Contains(err.Error(), "404") {
		return fmt.Errorf("read the Nomad namespace %s: %w", ns, err)
	}
	var names []string
	if all, _, err := nc.Namespaces().List(nil); err == nil {
		for _, n := range all {
			names = append(names, n.Name)
		}
	}
	return &NamespaceError{fmt.Sprintf("the Nomad namespace %q does not exist (namespaces: %s): create it with nomad namespace apply, or choose one of those", ns, strings.Join(names, ", "))}
}

// Owner is who runs this command (see package owner).
func (e *Env) Owner() (string, error) { return e.owner() }

// Root is the repository's top level: svctl works in a git working tree.
func (e *Env) Root() (string, error) {
	ws, err := e.workspace()
	return ws.root, err
}

// EnvoyDir is the folder of the mesh's config entries.
func (e *Env) EnvoyDir() (string, error) {
	root, err := e.Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "envoy"), nil
}

// Data is the data dir (see package datadir); the error is the user's to fix.
func (e *Env) Data() (datadir.Dir, error) { return e.data() }

// Nomad is the Nomad client, checked to answer once.
func (e *Env) Nomad() (*nomad.Client, error) { return e.nomad() }

// Consul is the Consul client, checked to answer once.
func (e *Env) Consul() (*consul.Client, error) { return e.consul() }

// Agents are both clients, Nomad's asked first.
func (e *Env) Agents() (*nomad.Client, *consul.Client, error) {
	nc, err := e.nomad()
	if err != nil {
		return nil, nil, err
	}
	cc, err := e.consul()
	if err != nil {
		return nil, nil, err
	}
	return nc, cc, nil
}

// Grace are clients of both agents that outlive the command's interrupt by
// the cleanup grace (see agents.Grace), for what a cut command still owes.
func (e *Env) Grace() (*nomad.Client, *consul.Client, error) {
	nc, cc, err := agents.Both(agents.Grace(e.ctx))
	if err == nil && e.namespace != "" {
		nc.SetNamespace(e.namespace)
	}
	return nc, cc, err
}

// NomadAddr is the Nomad address svctl talks to, as the Nomad CLI reads it.
func (e *Env) NomadAddr() string { return nomad.DefaultConfig().Address }

// findWorkspace locates the repository from the current directory.
// SVCTL_PACKS overrides where the packs are.
func findWorkspace() (workspace, error) {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		wd, _ := os.Getwd()
		return workspace{}, fmt.Errorf("%s is not inside a git repository: svctl runs services from a repository's working tree", wd)
	}
	root := strings.TrimSpace(string(out))
	ws := workspace{root: root, packs: filepath.Join(root, "packs")}
	if v := os.Getenv("SVCTL_PACKS"); v != "" {
		ws.packs = v
	}
	return ws, nil
}

// Services lists the packs in the workspace.
func (e *Env) Services() ([]string, error) {
	ws, err := e.workspace()
	if err != nil {
		return nil, err
	}
	entries, _ := os.ReadDir(ws.packs)
	var names []string
	for _, en := range entries {
		if en.IsDir() {
			if _, err := os.Stat(filepath.Join(ws.packs, en.Name(), "metadata.hcl")); err == nil {
				names = append(names, en.Name())
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// UnknownServiceError is a SERVICE that has no pack.
type UnknownServiceError struct{ msg string }

func (e *UnknownServiceError) Error() string { return e.msg }

// BadInput marks the error as the user's mistake (exit status 2).
func (e *UnknownServiceError) BadInput() bool { return true }

// PackDir returns the folder of SERVICE's pack, or an *UnknownServiceError
// listing the known ones.
func (e *Env) PackDir(service string) (string, error) {
	ws, err := e.workspace()
	if err != nil {
		return "", err
	}
	known, _ := e.Services()
	for _, s := range known {
		if s == service {
			return filepath.Join(ws.packs, s), nil
		}
	}
	if len(known) == 0 {
		return "", &UnknownServiceError{fmt.Sprintf("unknown service %q: no packs in %s", service, ws.packs)}
	}
	return "", &UnknownServiceError{fmt.Sprintf("unknown service %q: known services (packs in %s): %s", service, ws.packs, strings.Join(known, ", "))}
}

// Pack loads SERVICE's pack.
func (e *Env) Pack(service string) (*pack.Pack, error) {
	dir, err := e.PackDir(service)
	if err != nil {
		return nil, err
	}
	return pack.Load(dir)
}
