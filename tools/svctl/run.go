package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	"microwizard/internal/personal"
	"microwizard/internal/svctl/agents"
	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/gobuild"
	"microwizard/internal/svctl/mesh"
	"microwizard/internal/svctl/run"
	"microwizard/internal/svctl/snapshot"
)

var runCommand = &command{
	name:     "run",
	args:     "SERVICE NAME [SOURCE]",
	synopsis: "add one instance of NAME, built from SOURCE",
	help: `
Copies SOURCE into a new directory under the data dir, builds the service's
package there (the pack's build.hcl), renders the pack into one Nomad job,
submits it and follows it until the new instance passes its checks in Consul.
Each run adds one instance and leaves the others alone. Bad input is refused
before anything happens (exit 2); a run that fails leaves nothing behind.`,
	minArgs: 2,
	maxArgs: 3,
	setup: func(fs *flag.FlagSet) action {
		vars, opts := runFlags(fs)
		return func(ctx context.Context, pos []string, out streams) error {
			_, err := runInstance(ctx, pos, vars, opts(), out)
			return err
		}
	},
}

// runFlags defines run's flags on fs (watch takes them too) and returns the
// --var values and a function that reads the others once parsed.
func runFlags(fs *flag.FlagSet) (varFlags, func() runOptions) {
	vars := varFlags{}
	fs.Var(vars, "var", "set a pack variable, key=value (repeatable)")
	timeout := fs.Duration("timeout", 90*time.Second, "how long to wait for each instance to be healthy in Consul")
	publish := fs.Bool("publish", false, "publish the build to the artifact store (SVCTL_ARTIFACTS) even where the nodes are this machine")
	maxUntracked := fs.Int64("max-untracked", snapshot.DefaultMaxUntracked>>20, "the largest untracked file UNCOMMITTED_COPY takes, in MB (0: no limit)")
	private := fs.Bool("private", false, "run a private version: only requests whose baggage names NAME reach it (svctl-version=NAME)")
	return vars, func() runOptions {
		return runOptions{timeout: *timeout, publish: *publish, maxUntracked: *maxUntracked << 20, private: *private}
	}
}

// runOptions are run's flags beside --var.
type runOptions struct {
	timeout      time.Duration
	publish      bool
	maxUntracked int64 // bytes; 0: no limit
	private      bool
}

// runInstance is `svctl run`: check input → agents and target → snapshot →
// build → publish (for a cluster) → render → submit and follow → report.
func runInstance(ctx context.Context, pos []string, vars varFlags, opts runOptions, out streams) (jobID string, err error) {
	r, err := newRequest(ctx, pos, vars)
	if err != nil {
		return "", err
	}
	store, err := artifacts.FromEnv()
	if err != nil {
		return "", usageError{err.Error()}
	}
	// The agents next: with them down nothing is copied or built.
	nc, cc, err := agents.Both(ctx)
	if err != nil {
		return "", err
	}
	// Without the service's mesh config Envoy would balance connections,
	// not requests.
	if err := mesh.CheckApplied(cc, r.Service); err != nil {
		return "", err
	}
	d := deploy.New(nc, cc, out.stdout)
	versions, err := checkMode(d, cc, envoyDir(r.ws), r.Service, r.Name, opts.private)
	if err != nil {
		return "", err
	}
	tgt, err := chooseTarget(d, r.Request, store, opts.publish)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(out.stdout, "==> %s\n", tgt.why)
	if tgt.store != nil {
		if err := tgt.store.Check(ctx); err != nil {
			return "", fmt.Errorf("%w; nothing was built or submitted", err)
		}
	}
	sidecar, err := chooseSidecar(tgt, r.Request, out.stdout)
	if err != nil {
		return "", err
	}
	chosen := tgt.values()
	maps.Copy(chosen, sidecar)
	if _, err := r.Render(r.planned(tgt.store != nil), chosen); err != nil {
		return "", &run.InputError{Msg: err.Error()}
	}

	if err := ensureDataDir(r.ws.DataDir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(r.dir(), 0o700); err != nil {
		return "", fmt.Errorf("create the run's directory: %w", err)
	}
	// gc leaves a run alone while it holds this lock (until it has
	// submitted its job, or failed), and only collects the runs of the
	// cluster it asks.
	unlock, err := lockRun(r.dir())
	if err != nil {
		return "", err
	}
	defer unlock()
	// From here on the run makes things: a failure removes them all.
	defer func() {
		if err != nil {
			_ = os.RemoveAll(r.dir())
		}
	}()
	snap, err := takeSnapshot(ctx, r, opts.maxUntracked, out)
	if err != nil {
		return "", err
	}
	build, err := buildService(ctx, r, snap, tgt.platform, out)
	if err != nil {
		return "", err
	}
	built := run.Built{SourceDir: snap.Dir, Commit: snap.Commit, Binary: build.Binary}
	var published time.Duration
	if tgt.store != nil {
		start := time.Now()
		if built, err = publish(ctx, tgt.store, r, snap, build, tgt.driver == "docker", out); err != nil {
			return "", err
		}
		published = time.Since(start)
	}
	job, err := r.Render(built, chosen)
	if err != nil {
		return "", err
	}
	jobPath := filepath.Join(r.dir(), "job.nomad.hcl")
	if err := os.WriteFile(jobPath, []byte(job), 0o600); err != nil { // it may hold a DSN
		return "", fmt.Errorf("keep the rendered job: %w", err)
	}
	fmt.Fprintf(out.stdout, "==> rendered job: %s\n", jobPath)
	if opts.private {
		// Out of general rotation before its first instance is registered.
		if err := mesh.SetMode(cc, envoyDir(r.ws), r.Service, r.Name, mesh.Private); err != nil {
			return "", fmt.Errorf("route %s privately: %w; nothing was submitted", r.Name, err)
		}
		fmt.Fprintf(out.stdout, "==> %s is private: routed only on the baggage member %s=%s\n", r.Name, personal.Member, r.Name)
		if _, had := versions[r.Name]; !had {
			defer func() {
				if err != nil {
					err = forgetIfGone(ctx, r, err)
				}
			}()
		}
	}
	inst, err := d.Run(ctx, job, opts.timeout)
	var herr *deploy.HealthError
	if errors.As(err, &herr) && herr.RefusedArtifact != "" && tgt.store != nil {
		// (RefusedArtifact is set only when Nomad's event named the URL.)
		// The store held other bytes under the build's key: take them out,
		// so that the next run uploads the build again.
		if rerr := tgt.store.Remove(context.WithoutCancel(ctx), herr.RefusedArtifact); rerr != nil {
			return "", fmt.Errorf("%w\n(removing the refused object failed too: %v)", err, rerr)
		}
		return "", fmt.Errorf("%w\n==> removed the refused object from the store; run again to upload the build anew", err)
	}
	if err != nil {
		return "", err
	}
	fmt.Fprintf(out.stdout, "\n%s %s is running: job %s, allocation %s, at %s\n", r.Service, r.Name, inst.JobID, run.ShortID(inst.AllocID), inst.Address)
	if opts.private {
		fmt.Fprintf(out.stdout, "%s is private: %s\n", r.Name, modeText(r.Name, mesh.Private))
	}
	buildText := round(build.Duration)
	if build.Reused {
		buildText += " (reused)"
	}
	fmt.Fprintf(out.stdout, "timings: copy %s, build %s, publish %s, submit to healthy %s, total %s\n",
		round(snap.Took), buildText, round(published), round(inst.Elapsed), round(snap.Took+build.Duration+published+inst.Elapsed))
	return inst.JobID, nil
}

// forgetIfGone takes away the personal route a failed private run gave a
// new version, once no instance of it is left: such a route would be
// harmless (it falls back to the shared versions) but is not left behind.
func forgetIfGone(ctx context.Context, r *request, runErr error) error {
	// After Ctrl-C too: clients that outlive the command by the grace.
	nc, cc, err := agents.Both(agents.Grace(ctx))
	if err != nil {
		return runErr
	}
	jobs, err := deploy.New(nc, cc, nil).Jobs(r.Service)
	if err != nil {
		return runErr
	}
	for _, j := range jobs {
		if j.Name == r.Name {
			return runErr
		}
	}
	if err := mesh.Forget(cc, envoyDir(r.ws), r.Service, r.Name); err != nil {
		return fmt.Errorf("%w\n(removing %s's personal route failed too: %v)", runErr, r.Name, err)
	}
	return runErr
}

// takeSnapshot takes the source into the run's directory and says what it took.
func takeSnapshot(ctx context.Context, r *request, maxUntracked int64, out streams) (snapshot.Snapshot, error) {
	snap, err := snapshot.TakeLimited(ctx, r.ws.Root, r.Source, filepath.Join(r.dir(), "src"), maxUntracked)
	if err != nil {
		return snap, err
	}
	switch snap.Kind {
	case snapshot.UncommittedCopy:
		dirty := ""
		if snap.Dirty {
			dirty = ", with uncommitted changes"
		}
		fmt.Fprintf(out.stdout, "==> copied the working tree (%d files, %s%s) to %s\n", snap.Files, commitText(snap.Commit), dirty, snap.Dir)
	case snapshot.Uncommitted:
		fmt.Fprintf(out.stdout, "==> using the live working tree %s (no copy)\n", snap.Dir)
	default:
		fmt.Fprintf(out.stdout, "==> exported commit %s (%d files) to %s\n", commitText(snap.Commit), snap.Files, snap.Dir)
	}
	return snap, nil
}

// buildService builds the pack's package from the snapshot into the run's
// directory, or reuses an earlier run's build when nothing it is built from
// has changed (the same key: the content of what the build reads, the Go
// version, flags and platform). A compile error says that nothing was
// submitted.
func buildService(ctx context.Context, r *request, snap snapshot.Snapshot, p gobuild.Platform, out streams) (gobuild.Result, error) {
	if err := os.MkdirAll(filepath.Dir(r.binaryPath()), 0o755); err != nil {
		return gobuild.Result{}, fmt.Errorf("create %s: %w", filepath.Dir(r.binaryPath()), err)
	}
	start := time.Now()
	cache := gobuild.Cache{Dir: filepath.Join(r.ws.DataDir, "builds")}
	// Without a key (the tree does not even list) the build says why.
	key := ""
	if in, err := gobuild.FindInputs(ctx, snap.Dir, r.Pack.Build.Package); err == nil {
		key, _ = in.Key(ctx, r.Pack.Build.Package, p)
	}
	if key != "" {
		if ok, err := cache.Reuse(key, r.binaryPath()); err == nil && ok {
			fmt.Fprintf(out.stdout, "==> build: reused %s (nothing %s is built from has changed)\n", key[:12], r.Pack.Build.Package)
			return gobuild.Result{Binary: r.binaryPath(), Duration: time.Since(start), Reused: true}, nil
		}
	}
	fmt.Fprintf(out.stdout, "==> building %s from %s\n", r.Pack.Build.Package, snap.Dir)
	res, err := gobuild.BuildFor(ctx, snap.Dir, r.Pack.Build.Package, r.binaryPath(), p)
	var cerr *gobuild.CompileError
	switch {
	case errors.As(err, &cerr):
		return res, fmt.Errorf("the source does not compile; nothing was submitted:\n%s", strings.TrimRight(cerr.Output, "\n"))
	case err != nil:
		return res, fmt.Errorf("%w; nothing was submitted", err)
	}
	if key != "" && snap.Kind == snapshot.Uncommitted {
		// The live tree may have changed while it built: keep the binary
		// only under the key of what it was built from.
		if in, err := gobuild.FindInputs(ctx, snap.Dir, r.Pack.Build.Package); err != nil {
			key = ""
		} else if after, _ := in.Key(ctx, r.Pack.Build.Package, p); after != key {
			key = ""
		}
	}
	if key != "" {
		if err := cache.Keep(key, res.Binary); err != nil {
			fmt.Fprintf(out.stderr, "svctl: %v (the next run builds again)\n", err)
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}

// publish puts the binary (and for docker the source, archived) in the
// artifact store, and returns what the job names instead of this machine's
// paths. Content already in the store is not uploaded again.
func publish(ctx context.Context, store *artifacts.Store, r *request, snap snapshot.Snapshot, build gobuild.Result, withSource bool, out streams) (run.Built, error) {
	built := run.Built{Commit: snap.Commit}
	bin, err := store.Publish(ctx, build.Binary, r.Service)
	if err != nil {
		return built, fmt.Errorf("%w; nothing was submitted", err)
	}
	report(out, bin)
	built.BinaryArtifact = run.Artifact{URL: bin.URL, Checksum: bin.Checksum()}
	if withSource {
		archive := filepath.Join(r.dir(), "source.tar.gz")
		f, err := os.Create(archive)
		if err != nil {
			return built, fmt.Errorf("archive the source: %w", err)
		}
		err = snapshot.Archive(snap.Dir, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return built, fmt.Errorf("archive the source: %w", err)
		}
		src, err := store.Publish(ctx, archive, "source.tar.gz")
		if err != nil {
			return built, fmt.Errorf("%w; nothing was submitted", err)
		}
		report(out, src)
		built.SourceArtifact = run.Artifact{URL: src.URL, Checksum: src.Checksum()}
	}
	return built, nil
}

// report says what publishing an artifact did.
func report(out streams, a artifacts.Artifact) {
	if a.Uploaded {
		fmt.Fprintf(out.stdout, "==> published %s (%s): uploaded %d bytes\n", a.Name, a.URL, a.Sent)
		return
	}
	fmt.Fprintf(out.stdout, "==> %s is already in the store (%s): nothing uploaded\n", a.Name, a.URL)
}

func commitText(c string) string {
	if c == "" {
		return "no commit"
	}
	return run.ShortID(c)
}
