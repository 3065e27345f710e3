package main

import (
	"context"
	"flag"
	"fmt"

	"microwizard/internal/svctl/env"
	"microwizard/internal/svctl/run"
)

var renderCommand = &command{
	name:     "render",
	args:     "SERVICE NAME [SOURCE]",
	synopsis: "print the job a run would submit; submits nothing",
	help: `
Prints the Nomad job "svctl run" would submit with the same arguments. It
copies, builds and submits nothing: the paths in the job are those a run
would create (a published run's artifacts are placeholders), and the commit
is the one SOURCE names now. Where the agents answer, the target and the
sidecar are chosen as run would choose them; else the pack's defaults
stand.`,
	minArgs: 2,
	maxArgs: 3,
	setup: func(fs *flag.FlagSet) action {
		vars := varFlags{}
		fs.Var(vars, "var", "set a pack variable, key=value (repeatable)")
		publish := fs.Bool("publish", false, "render as a run with -publish would")
		return func(ctx context.Context, e *env.Env, pos []string, out streams) error {
			r, err := run.Check(ctx, e, pos[0], pos[1], optional(pos, 2), vars)
			if err != nil {
				return err
			}
			job, err := run.Plan(ctx, e, r, *publish, out.stderr)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(out.stdout, job)
			return err
		}
	},
}
