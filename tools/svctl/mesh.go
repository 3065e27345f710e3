package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"microwizard/internal/svctl/env"
	"microwizard/internal/svctl/mesh"
)

var meshCommand = &command{
	name:     "mesh",
	args:     "[PROFILE]",
	synopsis: "apply the mesh config with PROFILE (tutorial, resilient), or show the active one",
	help: `
Applies the config entries under envoy/ to Consul with a routing profile,
live, or without PROFILE names the active one. It first shows what would
change, entry by entry (a diff of each against Consul), and applies only
once you confirm, or with -yes. It writes only the project's services'
entries, each with a check-and-set (an entry changed meanwhile is not
overwritten), merges its intentions' sources into those already there, and
never writes service-intentions/* (the cluster's own, envoy/setup/). Only
Consul is needed.`,
	minArgs:     0,
	maxArgs:     1,
	noNamespace: true,
	setup: func(fs *flag.FlagSet) action {
		yes := fs.Bool("yes", false, "apply without asking")
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
			changes, err := mesh.Plan(cc, dir, pos[0])
			if err != nil {
				return err
			}
			if len(changes) == 0 {
				fmt.Fprintf(out.stdout, "mesh profile: %s (nothing to change)\n", pos[0])
				return nil
			}
			for _, ch := range changes {
				what := "delete " + ch.Key + " (only other profiles define it)"
				if !ch.Delete() {
					what = "write " + ch.Key + " (" + filepath.Base(ch.File) + ")"
				}
				fmt.Fprintf(out.stdout, "==> %s\n%s", what, ch.Diff)
			}
			if !*yes {
				if !confirm(fmt.Sprintf("apply these %d change(s) to Consul?", len(changes)), out) {
					return usageError{"nothing was applied: confirm, or run with -yes"}
				}
			}
			if err := mesh.ApplyPlan(cc, changes); err != nil {
				return err
			}
			for _, ch := range changes {
				fmt.Fprintf(out.stdout, "applied %s\n", ch.Key)
			}
			fmt.Fprintf(out.stdout, "mesh profile: %s\n", pos[0])
			return nil
		}
	},
}

// confirm asks a question on the terminal; without one (a script, CI) the
// answer is no.
func confirm(question string, out streams) bool {
	if fi, err := os.Stdin.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	fmt.Fprintf(out.stderr, "%s [y/N] ", question)
	answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	answer = strings.ToLower(strings.TrimSpace(answer))
	return answer == "y" || answer == "yes"
}
