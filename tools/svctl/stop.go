package main

import (
	"context"
	"flag"
	"fmt"

	"microwizard/internal/svctl/access"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/env"
	"microwizard/internal/svctl/versions"
)

var stopCommand = &command{
	name:     "stop",
	args:     "[SERVICE/]NAME",
	synopsis: "remove every instance of NAME (-one: the newest only)",
	help: `
Removes every instance of NAME, or with -one only the newest (the original
svkill). Each instance leaves Consul first and finishes what it is serving,
so no request fails. Returns once every stopped allocation has ended, and
removes their run directories from the data dir. A NAME that is a version
of several services is named SERVICE/NAME. Another owner's version is
refused unless -force, which records in Consul (svctl/forced/...) who
stopped it.`,
	minArgs: 1,
	maxArgs: 1,
	setup: func(fs *flag.FlagSet) action {
		one := fs.Bool("one", false, "remove only the newest instance of NAME (the original svkill)")
		force := fs.Bool("force", false, "stop NAME even if it is another owner's, and record that you did")
		return func(ctx context.Context, e *env.Env, pos []string, out streams) error {
			service, name, err := versions.Parse(pos[0])
			if err != nil {
				return err
			}
			nc, cc, err := e.Agents()
			if err != nil {
				return err
			}
			vs := versions.New(deploy.New(nc, cc, out.stdout), cc, e.Namespace())
			if service, err = vs.Select(service, name); err != nil {
				return err
			}
			if err := access.Check(ctx, nc, cc, e.Namespace(), versions.StopNeeds(service)...); err != nil {
				return err
			}
			me, err := e.Owner()
			if err != nil {
				return err
			}
			st, err := vs.Stop(ctx, service, name, me, *one, *force)
			if st.Forced != "" {
				fmt.Fprintf(out.stdout, "==> %s/%s is %s's: stopped it as %s (-force), recorded in Consul at %s\n", service, name, st.Forced, me, st.ForcedKey)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(out.stdout, "stopped %d instance(s) of %s\n", len(st.Jobs), name)
			if st.RouteRemoved {
				fmt.Fprintf(out.stdout, "removed the personal route of %s\n", name)
			}
			// Their run directories (copy, binary, job) go with them.
			data, err := e.Data()
			if err != nil {
				return nil
			}
			var ids []string
			for _, j := range st.Jobs {
				ids = append(ids, j.ID)
			}
			n, freed, err := data.RemoveRuns(ids)
			if n > 0 {
				fmt.Fprintf(out.stdout, "removed %d run director%s (%s)\n", n, plural(n, "y", "ies"), bytesText(freed))
			}
			return err
		}
	},
}
