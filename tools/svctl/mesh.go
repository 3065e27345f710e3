package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"microwizard/deploy"
	"microwizard/mesh"
)

// cmdMesh applies envoy/ with a routing profile, or shows the active one.
func cmdMesh(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("mesh", flag.ContinueOnError)
	pos, err := parseArgs(fs, args, 0, 1, "[PROFILE]")
	if err != nil {
		return err
	}
	ws, err := findWorkspace()
	if err != nil {
		return err
	}
	dir := filepath.Join(ws.Root, "envoy")
	if len(pos) == 1 {
		// Check the profile and every file before reaching for Consul.
		if _, err := mesh.Load(dir, pos[0], mesh.Vars{TrustDomain: "check.consul"}); err != nil {
			return usageError{err.Error()}
		}
	}
	client, err := deploy.Connect(ctx, out)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		p, err := mesh.ActiveProfile(client.Consul)
		if err != nil {
			return err
		}
		profiles, _ := mesh.Profiles(dir)
		fmt.Fprintf(out, "mesh profile: %s (profiles: %v)\n", p, profiles)
		return nil
	}
	entries, err := mesh.Apply(client.Consul, dir, pos[0])
	if err != nil {
		return err
	}
	for _, e := range entries {
		fmt.Fprintf(out, "applied %s (%s)\n", e.Key(), filepath.Base(e.File))
	}
	fmt.Fprintf(out, "mesh profile: %s\n", pos[0])
	return nil
}
