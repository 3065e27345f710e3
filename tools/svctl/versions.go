package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"

	consul "github.com/hashicorp/consul/api"

	"microwizard/internal/personal"
	"microwizard/internal/svctl/agents"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/mesh"
	"microwizard/internal/svctl/run"
)

var promoteCommand = &command{
	name:     "promote",
	args:     "NAME",
	synopsis: "put the private version NAME in general rotation, live",
	help: `
Makes NAME shared: from now on any request may reach its instances, as
those of the other versions. Requests whose baggage names NAME still reach
only NAME. Takes effect live, with no failed request; nothing is restarted.`,
	minArgs: 1,
	maxArgs: 1,
	setup: func(fs *flag.FlagSet) action {
		return func(ctx context.Context, pos []string, out streams) error {
			return setMode(ctx, pos[0], mesh.Shared, out)
		}
	},
}

var demoteCommand = &command{
	name:     "demote",
	args:     "NAME",
	synopsis: "take NAME out of general rotation without stopping it",
	help: `
Makes NAME private: from now on only requests whose baggage header has the
member svctl-version=NAME reach its instances (in a browser: open any page
with ?svctl-version=NAME). Everything else goes to the shared versions.
Takes effect live, with no failed request; nothing is restarted.`,
	minArgs: 1,
	maxArgs: 1,
	setup: func(fs *flag.FlagSet) action {
		return func(ctx context.Context, pos []string, out streams) error {
			return setMode(ctx, pos[0], mesh.Private, out)
		}
	},
}

// setMode is promote and demote: NAME must have instances.
func setMode(ctx context.Context, name string, mode mesh.Mode, out streams) error {
	if err := run.ValidateName(name); err != nil {
		return usageError{err.Error()}
	}
	ws, err := findWorkspace()
	if err != nil {
		return err
	}
	nc, cc, err := agents.Both(ctx)
	if err != nil {
		return err
	}
	d := deploy.New(nc, cc, nil)
	service, err := serviceOf(d, name)
	if err != nil {
		return err
	}
	if mode == mesh.Private {
		if err := checkSharedLeft(d, cc, service, name); err != nil {
			return err
		}
	}
	if err := mesh.SetMode(cc, envoyDir(ws), service, name, mode); err != nil {
		return err
	}
	fmt.Fprintf(out.stdout, "%s %s is %s: %s\n", service, name, mode, modeText(name, mode))
	return nil
}

// checkSharedLeft refuses to take name out of general rotation when no
// other version would serve everyone: every plain request would fail.
func checkSharedLeft(d *deploy.Client, cc *consul.Client, service, name string) error {
	vs, _, err := mesh.ReadVersions(cc, service)
	if err != nil {
		return err
	}
	jobs, err := d.Jobs(service)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Name != name && vs.Mode(j.Name) == mesh.Shared {
			return nil
		}
	}
	return usageError{fmt.Sprintf("%s is the only version of %s serving everyone: made private, it would leave plain requests no instance; run a shared version first", name, service)}
}

// modeText says who a version in mode serves.
func modeText(name string, mode mesh.Mode) string {
	if mode == mesh.Private {
		return fmt.Sprintf("only requests with the baggage member %s=%s reach it (in a browser: any page with ?%s=%s)", personal.Member, name, personal.Member, name)
	}
	return "it is in general rotation"
}

// serviceOf returns the service whose instances are named name.
func serviceOf(d *deploy.Client, name string) (string, error) {
	jobs, err := d.Named(name)
	if err != nil {
		return "", err
	}
	for _, j := range jobs[1:] {
		if j.Service != jobs[0].Service {
			return "", fmt.Errorf("instances of several services are named %q: stop all but one", name)
		}
	}
	return jobs[0].Service, nil
}

// envoyDir holds the mesh's config entries.
func envoyDir(ws *workspace) string { return filepath.Join(ws.Root, "envoy") }

// checkMode refuses a run whose mode does not match its version's: a plain
// run of a private version, or a private run of a version that already
// serves everyone.
func checkMode(d *deploy.Client, cc *consul.Client, envoy, service, name string, private bool) (mesh.Versions, error) {
	vs, _, err := mesh.ReadVersions(cc, service)
	if err != nil {
		return nil, err
	}
	jobs, err := d.Jobs(service)
	if err != nil {
		return nil, err
	}
	running := 0
	for _, j := range jobs {
		if j.Name == name {
			running++
		}
	}
	switch mode := vs.Mode(name); {
	case !private && mode == mesh.Private && running == 0:
		// A route left by a version whose instances went some other way
		// (stopped in Nomad, a stop cut short): nothing to protect.
		if err := mesh.Forget(cc, envoy, service, name); err != nil {
			return nil, err
		}
		delete(vs, name)
	case !private && mode == mesh.Private:
		return nil, usageError{fmt.Sprintf("%s is private: run it with --private, or `svctl promote %s` first", name, name)}
	case private && mode == mesh.Shared && running > 0:
		return nil, usageError{fmt.Sprintf("%s already serves everyone (%d instance(s)): `svctl demote %s` first, or choose another name", name, running, name)}
	}
	return vs, nil
}
