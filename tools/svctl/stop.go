package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	consul "github.com/hashicorp/consul/api"

	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/env"
	"microwizard/internal/svctl/expiry"
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
			d := deploy.New(nc, cc, out.stdout)
			vs := versions.New(d, cc, e.Namespace())
			if service, err = vs.Select(service, name); err != nil {
				return err
			}
			me, err := e.Owner()
			if err != nil {
				return err
			}
			var owned *versions.OwnedError
			switch err := vs.CheckOwner(service, name, me); {
			case errors.As(err, &owned) && *force:
				key, rerr := vs.RecordForced(service, name, owned.Owner, me)
				if rerr != nil {
					return fmt.Errorf("record the forced stop of %s/%s: %w; nothing was stopped", service, name, rerr)
				}
				fmt.Fprintf(out.stdout, "==> %s/%s is %s's: stopping it as %s (-force), recorded in Consul at %s\n", service, name, owned.Owner, me, key)
			case err != nil:
				return err
			}
			stopped, err := d.Stop(ctx, service, name, *one)
			if err != nil {
				return err
			}
			fmt.Fprintf(out.stdout, "stopped %d instance(s) of %s\n", len(stopped), name)
			if err := forgetRoute(e, d, cc, service, name, out); err != nil {
				return err
			}
			if left, err := vs.Running(service, name); err != nil {
				return err
			} else if left == 0 {
				if err := expiry.New(cc).Clear(e.Namespace(), service, name); err != nil {
					return fmt.Errorf("clear the expiry of %s/%s: %w", service, name, err)
				}
			}
			// Their run directories (copy, binary, job) go with them.
			data, err := e.Data()
			if err != nil {
				return nil
			}
			var ids []string
			for _, j := range stopped {
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

// forgetRoute removes the personal route of name once its last instance is
// gone, and says so.
func forgetRoute(e *env.Env, d *deploy.Client, cc *consul.Client, service, name string, out streams) error {
	forgot, err := versions.New(d, cc, e.Namespace()).ForgetIfGone(service, name)
	if err != nil {
		return err
	}
	if forgot {
		fmt.Fprintf(out.stdout, "removed the personal route of %s\n", name)
	}
	return nil
}
