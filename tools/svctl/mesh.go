package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"

	"microwizard/internal/svctl/env"
	"microwizard/internal/svctl/mesh"
)

var meshCommand = &command{
	name:     "mesh",
	args:     "[PROFILE]",
	synopsis: "apply the mesh config with PROFILE (tutorial, resilient), or show the active one",
	help: `
Applies the config entries under envoy/ to Consul with a routing profile,
live, or without PROFILE names the active one. Only Consul is needed.`,
	minArgs: 0,
	maxArgs: 1,
	setup: func(fs *flag.FlagSet) action {
		return func(ctx context.Context, e *env.Env, pos []string, out streams) error {
			dir, err := e.EnvoyDir()
			if err != nil {
				return err
			}
			if len(pos) == 1 {
				// Check the profile and every file before reaching for Consul.
				if _, err := mesh.Load(dir, pos[0]); err != nil {
					return usageError{err.Error()}
				}
			}
			cc, err := e.Consul()
			if err != nil {
				return err
			}
			if len(pos) == 0 {
				p, err := mesh.ActiveProfile(cc)
				if err != nil {
					return err
				}
				profiles, _ := mesh.Profiles(dir)
				fmt.Fprintf(out.stdout, "mesh profile: %s (profiles: %v)\n", p, profiles)
				return nil
			}
			entries, err := mesh.Apply(cc, dir, pos[0])
			if err != nil {
				return err
			}
			for _, e := range entries {
				fmt.Fprintf(out.stdout, "applied %s (%s)\n", e.Key(), filepath.Base(e.File))
			}
			fmt.Fprintf(out.stdout, "mesh profile: %s\n", pos[0])
			return nil
		}
	},
}
