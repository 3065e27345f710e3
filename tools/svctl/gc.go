package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"time"

	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/env"
	"microwizard/internal/svctl/gobuild"
)

var gcCommand = &command{
	name:     "gc",
	args:     "",
	synopsis: "remove the run directories no running job needs any more",
	help: `
Removes from the data dir (SVCTL_DATA, else ~/.local/share/svctl) the
directory of every run whose job Nomad no longer runs (a copy of the tree,
a binary, the rendered job each), and the builds kept for reuse that no
run uses and are a day old, and says how much it freed. svctl stop removes
the directories of what it stops; a failed run removes its own.`,
	minArgs:     0,
	maxArgs:     0,
	noNamespace: true,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, e *env.Env, pos []string, out streams) error {
			data, err := e.Data()
			if err != nil {
				return usageError{err.Error()}
			}
			nc, cc, err := e.Agents()
			if err != nil {
				return err
			}
			jobs, err := deploy.New(nc, cc, nil).JobsEverywhere()
			if err != nil {
				return err
			}
			live := map[string]bool{}
			for _, j := range jobs {
				live[j.ID] = true
			}
			ids, kept, err := data.Orphans(live, e.NomadAddr())
			if errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintln(out.stdout, "no run directories")
				return nil
			}
			if err != nil {
				return err
			}
			n, freed, err := data.RemoveRuns(ids)
			fmt.Fprintf(out.stdout, "removed %d run director%s, %s freed; %d kept (running jobs, runs in progress, other clusters)\n", n, plural(n, "y", "ies"), bytesText(freed), kept)
			// Builds kept for reuse that no run uses, a day old.
			bn, bfreed, berr := gobuild.Cache{Dir: data.Builds()}.Prune(time.Now().Add(-24 * time.Hour))
			if bn > 0 {
				fmt.Fprintf(out.stdout, "removed %d kept build%s no run uses, %s freed\n", bn, plural(bn, "", "s"), bytesText(bfreed))
			}
			return errors.Join(err, berr)
		}
	},
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
