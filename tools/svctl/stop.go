package main

import (
	"context"
	"flag"
	"fmt"

	"microwizard/internal/svctl/agents"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/mesh"
	"microwizard/internal/svctl/run"

	consul "github.com/hashicorp/consul/api"
)

var stopCommand = &command{
	name:     "stop",
	args:     "NAME",
	synopsis: "remove every instance of NAME (-one: the newest only)",
	help: `
Removes every instance of NAME, or with -one only the newest (the original
svkill). Each instance leaves Consul first and finishes what it is serving,
so no request fails. Returns once every stopped allocation has ended, and
removes their run directories from the data dir.`,
	minArgs: 1,
	maxArgs: 1,
	setup: func(fs *flag.FlagSet) action {
		one := fs.Bool("one", false, "remove only the newest instance of NAME (the original svkill)")
		return func(ctx context.Context, pos []string, out streams) error {
			name := pos[0]
			if err := run.ValidateName(name); err != nil {
				return usageError{err.Error()}
			}
			nc, cc, err := agents.Both(ctx)
			if err != nil {
				return err
			}
			d := deploy.New(nc, cc, out.stdout)
			stopped, err := d.Stop(ctx, name, *one)
			if err != nil {
				return err
			}
			fmt.Fprintf(out.stdout, "stopped %d instance(s) of %s\n", len(stopped), name)
			if err := forgetRoute(d, cc, stopped[0].Service, name, out); err != nil {
				return err
			}
			// Their run directories (copy, binary, job) go with them.
			dataDir, err := defaultDataDir()
			if err != nil {
				return nil
			}
			var ids []string
			for _, j := range stopped {
				ids = append(ids, j.ID)
			}
			n, freed, err := removeRuns(dataDir, ids)
			if n > 0 {
				fmt.Fprintf(out.stdout, "removed %d run director%s (%s)\n", n, plural(n, "y", "ies"), bytesText(freed))
			}
			return err
		}
	},
}

// forgetRoute removes the personal route of name once its last instance is
// gone: requests naming it have already fallen back to the shared versions.
func forgetRoute(d *deploy.Client, cc *consul.Client, service, name string, out streams) error {
	vs, _, err := mesh.ReadVersions(cc, service)
	if err != nil {
		return err
	}
	if _, routed := vs[name]; !routed {
		return nil
	}
	jobs, err := d.Jobs(service)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Name == name {
			return nil // instances are left: the route stays
		}
	}
	ws, err := findWorkspace()
	if err != nil {
		return fmt.Errorf("remove the personal route of %s: %w", name, err)
	}
	if err := mesh.Forget(cc, envoyDir(ws), service, name); err != nil {
		return err
	}
	fmt.Fprintf(out.stdout, "removed the personal route of %s\n", name)
	return nil
}
