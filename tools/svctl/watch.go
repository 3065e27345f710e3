package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/env"
	"microwizard/internal/svctl/gobuild"
	"microwizard/internal/svctl/request"
	"microwizard/internal/svctl/run"
	"microwizard/internal/svctl/versions"
	"microwizard/internal/svctl/watch"
)

// watchQuiet is how long the tree must be quiet after a change before a
// run: an editor's save is several events.
const watchQuiet = 150 * time.Millisecond

var watchCommand = &command{
	name:     "watch",
	args:     "SERVICE NAME",
	synopsis: "run NAME from the working tree, and again on every change",
	help: `
Runs NAME from UNCOMMITTED_COPY, as svctl run does, then watches the working
tree (what git does not ignore). On every saved change to a file the service
is built from (the packages it imports, go.mod, go.sum), it copies and builds
again: a compile error is shown and the running instance stays; otherwise
the new copy runs as a new instance of NAME and, once it is healthy, the
previous one is stopped (it leaves Consul first, so no request fails).
Ctrl-C leaves the last healthy instance running, and says which; with
-stop-on-exit it stops it.`,
	minArgs: 2,
	maxArgs: 2,
	setup: func(fs *flag.FlagSet) action {
		vars, opts := runFlags(fs)
		stopOnExit := fs.Bool("stop-on-exit", false, "stop the last instance on Ctrl-C")
		return func(ctx context.Context, e *env.Env, pos []string, out streams) error {
			// Bad input: refused before anything runs.
			r, err := run.Check(ctx, e, pos[0], pos[1], "UNCOMMITTED_COPY", vars)
			if err != nil {
				return err
			}
			return watchAndRun(ctx, e, r, opts(), *stopOnExit, out)
		}
	},
}

// watchAndRun is `svctl watch`: run, then run again on every change and
// stop the instance it replaces. Every try is the same checked request,
// with a job ID of its own.
func watchAndRun(ctx context.Context, e *env.Env, r *request.Request, opts run.Options, stopOnExit bool, out streams) error {
	nc, cc, err := e.Agents()
	if err != nil {
		return err
	}
	d := deploy.New(nc, cc, out.stdout)
	root, err := e.Root()
	if err != nil {
		return err
	}
	current, err := runOnce(ctx, e, r, opts, out)
	if err != nil {
		return err
	}
	first, err := gobuild.FindInputs(ctx, root, r.Pack.Build.Package)
	if err != nil {
		return err
	}
	// What the service is built from, read by the watcher's goroutine and
	// found again after every run (an edit may import another package).
	var inputs atomic.Pointer[gobuild.Inputs]
	inputs.Store(first)
	w, err := watch.New(first.Root(), func(p string) bool { return inputs.Load().Has(p) }, watchQuiet)
	if err != nil {
		return err
	}
	defer w.Close()
	fmt.Fprintf(out.stdout, "\n==> watching %s (the %d directories %s is built from, go.mod, go.sum); Ctrl-C to end\n", root, first.Dirs(), r.Pack.Build.Package)

	for {
		select {
		case <-ctx.Done():
			return leave(ctx, e, d, r, current, stopOnExit, out)
		case err := <-w.Errors():
			fmt.Fprintf(out.stderr, "svctl watch: %v\n", err)
		case paths := <-w.Changes():
			fmt.Fprintf(out.stdout, "\n==> %s changed: running %s anew\n", relPaths(root, paths), r.Name)
			next, err := runOnce(ctx, e, r, opts, out)
			if in, ferr := gobuild.FindInputs(ctx, root, r.Pack.Build.Package); ferr == nil {
				inputs.Store(in) // imports may have changed, compiling or not
			}
			if err != nil {
				if ctx.Err() != nil {
					return leave(ctx, e, d, r, current, stopOnExit, out)
				}
				fmt.Fprintf(out.stderr, "svctl watch: %v\n==> %s keeps running as job %s; watching for the next change\n", err, r.Name, current)
				continue
			}
			if err := d.StopJob(ctx, current); err != nil {
				fmt.Fprintf(out.stderr, "svctl watch: stop the instance it replaces: %v\n", err)
			}
			current = next
			fmt.Fprintf(out.stdout, "==> %s runs as job %s; watching\n", r.Name, current)
		}
	}
}

// leave ends a watch: the last instance stays, or is stopped (and a
// private version's route goes with its last instance). After Ctrl-C the
// job is purged at once (Nomad stops it, out of Consul first), within the
// cleanup grace.
func leave(ctx context.Context, e *env.Env, d *deploy.Client, r *request.Request, jobID string, stop bool, out streams) error {
	if !stop {
		fmt.Fprintf(out.stdout, "\n==> left %s running as job %s (`svctl stop %s` removes it)\n", r.Name, jobID, r.Name)
		return nil
	}
	if err := d.StopJob(ctx, jobID); err != nil {
		return err
	}
	fmt.Fprintf(out.stdout, "\n==> stopped %s (job %s)\n", r.Name, jobID)
	nc, cc, err := e.Grace()
	if err != nil {
		return fmt.Errorf("remove the personal route of %s: %w", r.Name, err)
	}
	removed, err := versions.New(deploy.New(nc, cc, nil), cc, e.Namespace()).AfterStop(r.Service, r.Name)
	if removed {
		fmt.Fprintf(out.stdout, "removed the personal route of %s\n", r.Name)
	}
	return err
}

// relPaths names the changed files, relative to root, a few at most.
func relPaths(root string, paths []string) string {
	var names []string
	for _, p := range paths {
		if rel, err := filepath.Rel(root, p); err == nil {
			p = rel
		}
		names = append(names, p)
	}
	if len(names) > 4 {
		names = append(names[:4], fmt.Sprintf("and %d more", len(names)-4))
	}
	return strings.Join(names, ", ")
}
