package main

import (
	"context"
	"flag"
	"fmt"

	consul "github.com/hashicorp/consul/api"

	"microwizard/internal/svctl/access"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/env"
	"microwizard/internal/svctl/mesh"
	"microwizard/internal/svctl/versions"
)

var promoteCommand = &command{
	name:     "promote",
	args:     "[SERVICE/]NAME",
	synopsis: "put the private version NAME in general rotation, live",
	help: `
Makes NAME shared: from now on any request may reach its instances, as
those of the other versions. Requests whose baggage names NAME still reach
only NAME. Takes effect live, with no failed request; nothing is restarted.`,
	minArgs: 1,
	maxArgs: 1,
	setup: func(fs *flag.FlagSet) action {
		return func(ctx context.Context, e *env.Env, pos []string, out streams) error {
			return setMode(ctx, e, pos[0], mesh.Shared, out)
		}
	},
}

var demoteCommand = &command{
	name:     "demote",
	args:     "[SERVICE/]NAME",
	synopsis: "take NAME out of general rotation without stopping it",
	help: `
Makes NAME private: from now on only requests whose baggage header has the
member svctl-version=NAME reach its instances (in a browser: open any page
with ?svctl-version=NAME). Everything else goes to the shared versions.
Takes effect live, with no failed request; nothing is restarted.`,
	minArgs: 1,
	maxArgs: 1,
	setup: func(fs *flag.FlagSet) action {
		return func(ctx context.Context, e *env.Env, pos []string, out streams) error {
			return setMode(ctx, e, pos[0], mesh.Private, out)
		}
	},
}

// versionsOf is the cluster's versions, its Consul, and who is asking.
func versionsOf(e *env.Env) (*versions.Versions, *consul.Client, string, error) {
	nc, cc, err := e.Agents()
	if err != nil {
		return nil, nil, "", err
	}
	me, err := e.Owner()
	if err != nil {
		return nil, nil, "", err
	}
	return versions.New(deploy.New(nc, cc, nil), cc, e.Namespace()), cc, me, nil
}

// setMode is promote and demote of NAME or SERVICE/NAME, which must have
// instances, and be yours.
func setMode(ctx context.Context, e *env.Env, arg string, mode mesh.Mode, out streams) error {
	service, name, err := versions.Parse(arg)
	if err != nil {
		return err
	}
	vs, _, me, err := versionsOf(e)
	if err != nil {
		return err
	}
	if service, err = vs.Yours(service, name, me); err != nil {
		return err
	}
	nc, cc, err := e.Agents()
	if err != nil {
		return err
	}
	if err := access.Check(ctx, nc, cc, e.Namespace(), versions.ModeNeeds(service)...); err != nil {
		return err
	}
	if mode == mesh.Private {
		if err := vs.CheckSharedLeft(service, name); err != nil {
			return err
		}
	}
	if err := vs.SetMode(ctx, service, name, mode); err != nil {
		return err
	}
	fmt.Fprintf(out.stdout, "%s %s is %s: %s\n", service, name, mode, versions.ModeText(name, mode))
	return nil
}
