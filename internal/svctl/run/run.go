// Package run is `svctl run`, one pipeline over explicit stages, each a
// call into the package named for it and each taking what the one before
// returned:
//
//	check input        request   (Check: SERVICE, NAME, SOURCE, --var; nothing touched)
//	agents and target  placement (the nodes that can run it: local, or a cluster and the store)
//	snapshot           snapshot  (SOURCE copied or exported into the run's directory)
//	build              gobuild   (built, or an earlier identical build reused)
//	publish            artifacts (for a cluster: the build, and the source if the pack asks)
//	render             render    (the pack's one job, rendered once)
//	submit and follow  deploy    (submitted under svctl's job ID, followed until healthy)
//	report             Result    (what ran, where, and how long each stage took)
//
// `svctl watch` runs the same pipeline with one checked request, and a
// fresh job ID for every try. A new stage goes in Run, as one call.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"strings"
	"time"

	"microwizard/internal/personal"
	"microwizard/internal/svctl/access"
	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/svctl/datadir"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/env"
	"microwizard/internal/svctl/expiry"
	"microwizard/internal/svctl/gobuild"
	"microwizard/internal/svctl/mesh"
	"microwizard/internal/svctl/owner"
	"microwizard/internal/svctl/placement"
	"microwizard/internal/svctl/record"
	"microwizard/internal/svctl/render"
	"microwizard/internal/svctl/request"
	"microwizard/internal/svctl/snapshot"
	"microwizard/internal/svctl/versions"
)

// Options are how a run goes, beside what it runs.
type Options struct {
	Timeout      time.Duration // for the instance to be healthy in Consul
	Publish      bool          // publish even where the nodes are this machine
	MaxUntracked int64         // the largest untracked file UNCOMMITTED_COPY takes, in bytes; 0: no limit
	Private      bool          // routed only on the baggage member naming it
	// TTL is how long the version lives from this run on (0: for ever);
	// nil: expiry's default for its mode.
	TTL *time.Duration
	// AllowSecretFiles are files, relative to the repository's root,
	// published although their names look like secrets (-allow-secret-file).
	AllowSecretFiles []string
}

// Output is where a run writes: its progress, and its warnings.
type Output struct{ Progress, Warn io.Writer }

// Result is what a run started.
type Result struct {
	JobID    string
	Instance *deploy.Instance
	Took     Timings
	Expiry   expiry.Entry // when the version expires; zero Expires: never
}

// Timings are how long the stages that take time took.
type Timings struct {
	Copy, Build, Publish, Healthy time.Duration
	BuildReused                   bool
}

// Check is the first stage: it checks everything about a run that can be
// checked without touching anything or asking an agent: SOURCE, the data
// dir, SERVICE and its pack, whether SOURCE names a commit, NAME and the
// --var values (see request.New).
func Check(ctx context.Context, e *env.Env, service, name, typedSource string, vars map[string]string) (*request.Request, error) {
	source, err := snapshot.ParseSource(typedSource)
	if err != nil {
		return nil, &request.InputError{Msg: err.Error()}
	}
	if _, err := e.Data(); err != nil {
		return nil, &request.InputError{Msg: err.Error()}
	}
	if _, err := owner.FromEnv(); err != nil {
		return nil, err
	}
	p, err := e.Pack(service)
	if err != nil {
		return nil, err
	}
	root, err := e.Root()
	if err != nil {
		return nil, err
	}
	// An unknown ref is known now, before any agent is asked anything.
	commit, err := snapshot.ResolveCommit(ctx, root, source)
	if err != nil {
		return nil, err
	}
	return request.New(p, name, source, commit, vars)
}

// Run is one run of r: it adds one instance and leaves the others alone.
// Bad input is refused before anything happens; a run that fails leaves
// nothing behind.
func Run(ctx context.Context, e *env.Env, r *request.Request, opts Options, out Output) (res Result, err error) {
	// Agents and target: with the agents down nothing is copied or built.
	store, err := artifacts.FromEnv()
	if err != nil {
		return res, &request.InputError{Msg: err.Error()}
	}
	nc, cc, err := e.Agents()
	if err != nil {
		return res, err
	}
	if err := access.Check(ctx, nc, cc, e.Namespace(), Needs(r)...); err != nil {
		return res, err
	}
	d := deploy.New(nc, cc, out.Progress)
	vs := versions.New(d, cc, e.Namespace())
	me, err := e.Owner()
	if err != nil {
		return res, err
	}
	routed, err := checkVersion(vs, r, me, opts.Private)
	if err != nil {
		return res, err
	}
	tgt, chosen, err := choose(d, r, store, opts.Publish, out.Progress)
	if err != nil {
		return res, err
	}
	if tgt.Published() {
		if err := tgt.Store.Check(ctx); err != nil {
			return res, fmt.Errorf("%w; nothing was built or submitted", err)
		}
	}

	data, _ := e.Data() // checked by Check
	if err := data.Ensure(); err != nil {
		return res, err
	}
	res.JobID = r.NewJobID()
	dir := data.Run(res.JobID)
	unlock, err := dir.Create(e.NomadAddr())
	if err != nil {
		return res, err
	}
	defer unlock()
	// From here on the run makes things: a failure removes them all.
	defer func() {
		if err != nil {
			_ = dir.Remove()
		}
	}()

	root, _ := e.Root() // checked by Check
	snap, err := snapshot.TakeLimited(ctx, root, r.Source, dir.Src(), opts.MaxUntracked)
	if err != nil {
		return res, err
	}
	reportSnapshot(out.Progress, snap)
	res.Took.Copy = snap.Took

	build, err := gobuild.Cache{Dir: data.Builds()}.BuildOrReuse(ctx, snap.Dir, r.Pack.Build.Package, dir.Binary(r.Service), tgt.Platform, snap.Kind == snapshot.Uncommitted, out.Progress, out.Warn)
	var cerr *gobuild.CompileError
	switch {
	case errors.As(err, &cerr):
		return res, fmt.Errorf("the source does not compile; nothing was submitted:\n%s", strings.TrimRight(cerr.Output, "\n"))
	case err != nil:
		return res, fmt.Errorf("%w; nothing was submitted", err)
	}
	res.Took.Build, res.Took.BuildReused = build.Duration, build.Reused

	built := render.Built{SourceDir: snap.Dir, Commit: snap.Commit, Binary: build.Binary}
	if tgt.Published() {
		start := time.Now()
		if built, err = publish(ctx, tgt.Store, r, dir, snap, build, opts.AllowSecretFiles, out.Progress); err != nil {
			return res, err
		}
		res.Took.Publish = time.Since(start)
	}

	rr := r.ForJob(res.JobID, me)
	rr.Private, rr.Namespace = opts.Private, e.Namespace()
	job, err := render.Job(rr, built, chosen)
	if err != nil {
		return res, &request.InputError{Msg: err.Error()}
	}
	if err := os.WriteFile(dir.Job(), []byte(job), 0o600); err != nil { // it may hold a DSN
		return res, fmt.Errorf("keep the rendered job: %w", err)
	}
	fmt.Fprintf(out.Progress, "==> rendered job: %s\n", dir.Job())

	if opts.Private {
		// Out of general rotation before its first instance is registered.
		if err := vs.Route(r.Service, r.Name, mesh.Private); err != nil {
			return res, fmt.Errorf("route %s privately: %w; nothing was submitted", r.Name, err)
		}
		fmt.Fprintf(out.Progress, "==> %s is private: routed only on the baggage member %s=%s\n", r.Name, personal.Member, r.Name)
		if !routed {
			defer func() {
				if err != nil {
					err = forgetIfGone(e, r, err)
				}
			}()
		}
	}

	inst, err := d.Run(ctx, res.JobID, job, opts.Timeout)
	var herr *deploy.HealthError
	if errors.As(err, &herr) && herr.RefusedArtifact != "" && tgt.Published() {
		// (RefusedArtifact is set only when Nomad's event named the URL.)
		// The store held other bytes under the build's key: take them out,
		// so that the next run uploads the build again.
		if rerr := tgt.Store.Remove(context.WithoutCancel(ctx), herr.RefusedArtifact); rerr != nil {
			return res, fmt.Errorf("%w\n(removing the refused object failed too: %v)", err, rerr)
		}
		return res, fmt.Errorf("%w\n==> removed the refused object from the store; run again to upload the build anew", err)
	}
	if err != nil {
		return res, err
	}
	res.Instance = inst
	res.Took.Healthy = inst.Elapsed
	ttl := expiry.Default(opts.Private)
	if opts.TTL != nil {
		ttl = *opts.TTL
	}
	if res.Expiry, err = expiry.New(cc).Set(e.Namespace(), r.Service, r.Name, ttl, me); err != nil {
		return res, fmt.Errorf("%s runs as job %s, but %w: `svctl extend %s/%s D` sets it", r.Name, res.JobID, err, r.Service, r.Name)
	}
	return res, nil
}

// checkVersion is the version's part of the checks: NAME must not be
// another owner's; a Connect service's mesh config must be applied
// (without it Envoy would balance connections, not requests), and the
// run's mode must match its version's. A service outside the mesh has no
// private versions. It returns whether NAME had a personal route before.
func checkVersion(vs *versions.Versions, r *request.Request, owner string, private bool) (bool, error) {
	if r.Pack.Build.Sidecar == nil {
		if private {
			return false, &request.InputError{Msg: fmt.Sprintf("--private: %s is not in the Connect mesh (its pack's build.hcl has no sidecar block), so nothing can route on baggage to it", r.Service)}
		}
		return false, vs.CheckOwner(r.Service, r.Name, owner)
	}
	if err := vs.CheckApplied(r.Service); err != nil {
		return false, err
	}
	return vs.CheckRun(r.Service, r.Name, owner, private)
}

// choose is the target stage: the nodes, the store, the sidecar, and the
// pack variables they set.
func choose(d *deploy.Client, r *request.Request, store *artifacts.Store, publish bool, progress io.Writer) (placement.Target, map[string]string, error) {
	nodes, err := d.Nodes()
	if err != nil {
		return placement.Target{}, nil, err
	}
	tgt, err := placement.Choose(nodes, r, store, publish)
	if err != nil {
		return tgt, nil, err
	}
	fmt.Fprintf(progress, "==> %s\n", tgt.Why)
	sidecar, err := placement.Sidecar(tgt, r, progress)
	if err != nil {
		return tgt, nil, err
	}
	chosen := maps.Clone(tgt.Values)
	maps.Copy(chosen, sidecar)
	return tgt, chosen, nil
}

// publish is the publish stage: the build (and, where the pack asks for
// it, the source files the build reads, nothing else of the tree) in the
// store, and what the job names instead of this machine's paths. A file to
// publish whose name looks like a secret's, unless allowed, stops it
// before anything is uploaded.
func publish(ctx context.Context, store *artifacts.Store, r *request.Request, dir datadir.Run, snap snapshot.Snapshot, build gobuild.Result, allowSecrets []string, progress io.Writer) (render.Built, error) {
	built := render.Built{Commit: snap.Commit}
	withSource, err := r.Pack.Build.PublishSource(r.Values())
	if err != nil {
		return built, &request.InputError{Msg: err.Error()}
	}
	b := artifacts.Build{Binary: build.Binary, Service: r.Service, Embedded: build.Embedded, AllowSecrets: allowSecrets}
	if withSource {
		b.SourceDir, b.SourceFiles, b.Archive = snap.Dir, build.Inputs, dir.SourceArchive()
	}
	bin, src, err := store.PublishBuild(ctx, b, progress)
	if err != nil {
		return built, fmt.Errorf("%w; nothing was submitted", err)
	}
	built.BinaryArtifact = render.Artifact{URL: bin.URL, Checksum: bin.Checksum()}
	if withSource {
		built.SourceArtifact = render.Artifact{URL: src.URL, Checksum: src.Checksum()}
	}
	return built, nil
}

// forgetIfGone takes away the personal route a failed private run gave a
// new version, once no instance of it is left: such a route would be
// harmless (it falls back to the shared versions) but is not left behind.
func forgetIfGone(e *env.Env, r *request.Request, runErr error) error {
	// After Ctrl-C too: clients that outlive the command by the grace.
	nc, cc, err := e.Grace()
	if err != nil {
		return runErr
	}
	if _, err := versions.New(deploy.New(nc, cc, nil), cc, e.Namespace()).ForgetIfGone(r.Service, r.Name); err != nil {
		return fmt.Errorf("%w\n(%v)", runErr, err)
	}
	return runErr
}

// reportSnapshot says what the snapshot stage took.
func reportSnapshot(w io.Writer, snap snapshot.Snapshot) {
	switch snap.Kind {
	case snapshot.UncommittedCopy:
		dirty := ""
		if snap.Dirty {
			dirty = ", with uncommitted changes"
		}
		fmt.Fprintf(w, "==> copied the working tree (%d files, %s%s) to %s\n", snap.Files, CommitText(snap.Commit), dirty, snap.Dir)
	case snapshot.Uncommitted:
		fmt.Fprintf(w, "==> using the live working tree %s (no copy)\n", snap.Dir)
	default:
		fmt.Fprintf(w, "==> exported commit %s (%d files) to %s\n", CommitText(snap.Commit), snap.Files, snap.Dir)
	}
}

// CommitText is a commit as svctl shows it.
func CommitText(c string) string {
	if c == "" {
		return "no commit"
	}
	return record.ShortID(c)
}
