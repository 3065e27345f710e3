package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"microwizard/internal/svctl/env"
	"microwizard/internal/svctl/expiry"
	"microwizard/internal/svctl/versions"
)

var extendCommand = &command{
	name:     "extend",
	args:     "[SERVICE/]NAME D",
	synopsis: "give NAME D more to live, from now",
	help: `
Makes NAME expire D from now (at most 30 days; 0: never). NAME must run,
and be yours. Nothing is restarted: the expiry is kept in Consul's KV store
(svctl/expiry/NAMESPACE/SERVICE/NAME).`,
	minArgs: 2,
	maxArgs: 2,
	setup: func(fs *flag.FlagSet) action {
		return func(ctx context.Context, e *env.Env, pos []string, out streams) error {
			service, name, err := versions.Parse(pos[0])
			if err != nil {
				return err
			}
			ttl := &ttlFlag{}
			if err := ttl.Set(pos[1]); err != nil {
				return usageError{fmt.Sprintf("D %q: %v", pos[1], err)}
			}
			vs, cc, me, err := versionsOf(e)
			if err != nil {
				return err
			}
			if service, err = vs.Yours(service, name, me); err != nil {
				return err
			}
			en, err := expiry.New(cc).Set(e.Namespace(), service, name, ttl.d, me)
			if err != nil {
				return err
			}
			if en.Expires.IsZero() {
				fmt.Fprintf(out.stdout, "%s/%s does not expire\n", service, name)
				return nil
			}
			fmt.Fprintf(out.stdout, "%s/%s expires at %s (in %s)\n", service, name, en.Expires.Local().Format(time.DateTime), time.Until(en.Expires).Round(time.Second))
			return nil
		}
	},
}

var expireCommand = &command{
	name:     "expire",
	args:     "",
	synopsis: "stop every version whose time is up (the cluster's periodic job runs it)",
	help: `
Stops every version past its expiry as svctl stop stops it: out of Consul
first, each instance finishing what it serves, so no request fails; its
personal route goes too. Versions of every owner: the cluster's periodic
job jobs/svctl-expire.nomad.hcl runs it every 30 seconds, so that a forgotten
version goes even when its owner's laptop is closed. It says what it
stopped.`,
	minArgs:     0,
	maxArgs:     0,
	noNamespace: true,
	setup: func(fs *flag.FlagSet) action {
		return func(ctx context.Context, e *env.Env, pos []string, out streams) error {
			nc, cc, err := e.Agents()
			if err != nil {
				return err
			}
			expired, err := versions.Expire(ctx, nc, cc, out.stdout)
			for _, x := range expired {
				fmt.Fprintf(out.stdout, "expired %s/%s in %s (at %s): stopped %d instance(s)\n", x.Service, x.Name, x.Namespace, x.Expires.Format(time.RFC3339), x.Instances)
			}
			return err
		}
	},
}
