package main

import (
	"context"
	"flag"
	"fmt"

	"microwizard/internal/svctl/agents"
	"microwizard/internal/svctl/deploy"
)

var renderCommand = &command{
	name:     "render",
	args:     "SERVICE NAME [SOURCE]",
	synopsis: "print the job a run would submit; submits nothing",
	help: `
Prints the Nomad job "svctl run" would submit with the same arguments. It
copies, builds and submits nothing: the paths in the job are those a run
would create, and the commit is the one SOURCE names now. Where the agents
answer, the sidecar is chosen as run would choose it; else the pack's
default stands.`,
	minArgs: 2,
	maxArgs: 3,
	setup: func(fs *flag.FlagSet) action {
		vars := varFlags{}
		fs.Var(vars, "var", "set a pack variable, key=value (repeatable)")
		return func(ctx context.Context, pos []string, out streams) error {
			r, err := newRequest(ctx, pos, vars)
			if err != nil {
				return err
			}
			var chosen map[string]string
			if nc, cc, err := agents.Both(); err == nil {
				if chosen, err = chooseSidecar(deploy.New(nc, cc, nil), r.Request, out.stderr, false); err != nil {
					return err
				}
			}
			job, err := r.Render(r.planned(false), chosen)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(out.stdout, job)
			return err
		}
	},
}
