package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/svctl/access"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/env"
	"microwizard/internal/svctl/logs"
	"microwizard/internal/svctl/record"
	"microwizard/internal/svctl/request"
)

var logsCommand = &command{
	name:     "logs",
	args:     "NAME",
	synopsis: "print the logs of every instance of NAME (-f: follow)",
	help: `
Prints the logs of every instance of NAME, on whichever node it runs: its
stdout and stderr, each line prefixed with the instance (its allocation's
short ID) and the stream. With -f it follows them, and the instances of NAME
started meanwhile, until Ctrl-C. -tail N starts each log at its last N lines;
-since D shows the lines written in the last D, as their timestamps say (Go's
slog time=, Envoy's [date time], or RFC 3339 as the first word; a line
without one goes with the line before it). -sidecar shows the Envoy
sidecar's logs instead of the service's.`,
	minArgs: 1,
	maxArgs: 1,
	setup: func(fs *flag.FlagSet) action {
		follow := fs.Bool("f", false, "follow the logs, and instances started meanwhile, until Ctrl-C")
		tail := fs.Int("tail", -1, "start each log at its last N lines (-1: all)")
		since := fs.Duration("since", 0, "show only lines written in the last D, such as 10m")
		asJSON := fs.Bool("json", false, "print one JSON object per line")
		sidecar := fs.Bool("sidecar", false, "the Envoy sidecar's logs instead of the service's")
		return func(ctx context.Context, e *env.Env, pos []string, out streams) error {
			name := pos[0]
			if err := request.ValidateName(name); err != nil {
				return usageError{err.Error()}
			}
			if *tail < -1 {
				return usageError{fmt.Sprintf("-tail %d: give a number of lines, or -1 for all", *tail)}
			}
			if *since < 0 {
				return usageError{fmt.Sprintf("-since %s: give a positive duration", *since)}
			}
			nc, cc, err := e.Agents()
			if err != nil {
				return err
			}
			if err := access.Check(ctx, nc, cc, e.Namespace(), logs.Needs()...); err != nil {
				return err
			}
			d := deploy.New(nc, cc, nil)
			// An unknown NAME is an error now, not an empty follow.
			if _, err := d.Allocations(name); err != nil {
				return err
			}
			enc := json.NewEncoder(out.stdout)
			emit := func(l logs.Line) {
				if *asJSON {
					_ = enc.Encode(l)
					return
				}
				if l.AllocID == "" { // svctl's own note
					fmt.Fprintf(out.stderr, "svctl: %s\n", l.Text)
					return
				}
				fmt.Fprintf(out.stdout, "[%s %s] %s\n", record.ShortID(l.AllocID), l.Stream, l.Text)
			}
			opts := logs.Options{Follow: *follow, Tail: *tail, Since: *since, Sidecar: *sidecar}
			instances := func() ([]*nomad.AllocationListStub, error) {
				allocs, err := d.Allocations(name)
				if errors.As(err, new(*deploy.NotFoundError)) && *follow {
					// Between two instances of NAME: the next one is followed.
					return nil, nil
				}
				return allocs, err
			}
			return logs.Stream(ctx, nc, instances, opts, emit)
		}
	},
}
