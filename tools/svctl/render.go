package main

import (
	"context"
	"flag"
	"fmt"
	"maps"

	"microwizard/internal/svctl/agents"
	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/svctl/deploy"
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
		return func(ctx context.Context, pos []string, out streams) error {
			r, err := newRequest(ctx, pos, vars)
			if err != nil {
				return err
			}
			// Where the agents answer, render as run would: the target
			// (local or published) and the sidecar the nodes can run.
			chosen := map[string]string{}
			published := false
			if nc, cc, err := agents.Both(ctx); err == nil {
				store, err := artifacts.FromEnv()
				if err != nil {
					return usageError{err.Error()}
				}
				tgt, err := chooseTarget(deploy.New(nc, cc, nil), r.Request, store, *publish)
				if err != nil {
					return err
				}
				fmt.Fprintf(out.stderr, "==> %s\n", tgt.why)
				sidecar, err := chooseSidecar(tgt, r.Request, out.stderr)
				if err != nil {
					return err
				}
				maps.Copy(chosen, tgt.values())
				maps.Copy(chosen, sidecar)
				published = tgt.store != nil
			} else if ctx.Err() != nil {
				return err // interrupted: nothing to render
			} else {
				// -publish is honoured without agents too: the published
				// form, with placeholders for what a run would publish.
				store, serr := artifacts.FromEnv()
				switch {
				case serr != nil:
					return usageError{serr.Error()}
				case *publish && store == nil:
					return usageError{"-publish needs an artifact store: set SVCTL_ARTIFACTS=s3://BUCKET/PREFIX (README: Clusters)"}
				case store != nil:
					// As run: a configured store is published to.
					published = true
					why := "SVCTL_ARTIFACTS is set"
					if *publish {
						why = "-publish"
					}
					fmt.Fprintf(out.stderr, "==> rendered as published to %s (%s), with the pack's defaults for the sidecar: the agents were not asked (%v)\n", store, why, err)
				default:
					fmt.Fprintf(out.stderr, "==> rendered with the pack's defaults for the target and the sidecar: the agents were not asked (%v)\n", err)
				}
			}
			job, err := r.Render(r.planned(published), chosen)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(out.stdout, job)
			return err
		}
	},
}
