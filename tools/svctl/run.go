package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"microwizard/deploy"
	"microwizard/deployname"
	"microwizard/gobuild"
	"microwizard/mesh"
	"microwizard/pack"
	"microwizard/snapshot"
)

// svctlVars are the pack variables svctl sets itself for every run; --var
// cannot override them, or the job would differ from what was asked for.
var svctlVars = []string{"job_name", "deploy_name", "source", "source_dir", "commit", "binary"}

// request is a checked `run` or `render` command line.
type request struct {
	ws      *workspace
	service string
	name    string
	source  snapshot.Source
	typed   string // SOURCE as typed ("" for HEAD)
	commit  string // the commit SOURCE names now (HEAD's for the working tree)
	packDir string
	pack    *pack.Pack
	build   *buildSpec
	vars    varFlags
	jobID   string
	runDir  string
}

// parseRequest checks everything about a run that can be checked without
// touching anything: NAME, SOURCE, SERVICE, the pack and the --var values.
func parseRequest(ctx context.Context, cmd string, args []string, extra func(*flag.FlagSet)) (*request, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	vars := varFlags{}
	fs.Var(vars, "var", "set a pack variable, key=value (repeatable)")
	if extra != nil {
		extra(fs)
	}
	pos, err := parseArgs(fs, args, 2, 3, "SERVICE NAME [SOURCE]")
	if err != nil {
		return nil, err
	}
	r := &request{service: pos[0], name: pos[1], vars: vars}
	if err := deployname.Validate(r.name); err != nil {
		return nil, usageError{err.Error()}
	}
	if len(pos) == 3 {
		r.typed = pos[2]
	}
	if r.source, err = snapshot.ParseSource(r.typed); err != nil {
		return nil, usageError{err.Error()}
	}
	for _, k := range svctlVars {
		if _, ok := vars[k]; ok {
			return nil, usageError{fmt.Sprintf("--var %s: svctl sets %s itself for every run", k, k)}
		}
	}
	if r.ws, err = findWorkspace(); err != nil {
		return nil, err
	}
	// An unknown ref is known now, before any agent is asked anything.
	if r.commit, err = snapshot.ResolveCommit(ctx, r.ws.Root, r.source); err != nil {
		return nil, err
	}
	if r.packDir, err = r.ws.packDir(r.service); err != nil {
		return nil, usageError{err.Error()}
	}
	if r.pack, err = pack.Load(r.packDir); err != nil {
		return nil, fmt.Errorf("load pack %s: %w", r.service, err)
	}
	if r.build, err = readBuildSpec(r.packDir); err != nil {
		return nil, err
	}
	r.jobID = r.service + "-" + r.name + "-" + randomLetters(6)
	r.runDir = filepath.Join(r.ws.DataDir, "runs", r.jobID)
	// Check the user's --var values now, with placeholders for svctl's own.
	if _, err := r.values(placeholderSnapshot(r)); err != nil {
		return nil, usageError{err.Error()}
	}
	return r, nil
}

func placeholderSnapshot(r *request) snapshot.Snapshot {
	return snapshot.Snapshot{Dir: filepath.Join(r.runDir, "src"), Kind: r.source.Kind, Source: r.typed}
}

// values are the pack variables for this run: svctl's plus the user's.
func (r *request) values(snap snapshot.Snapshot) (pack.Values, error) {
	over := map[string]string{}
	for k, v := range r.vars {
		over[k] = v
	}
	source := r.typed
	if source == "" {
		source = "HEAD"
	}
	over["job_name"] = r.jobID
	over["deploy_name"] = r.name
	over["source"] = source
	over["source_dir"] = snap.Dir
	over["commit"] = snap.Commit
	over["binary"] = r.binaryPath()
	return r.pack.Values(over)
}

func (r *request) binaryPath() string {
	return filepath.Join(r.runDir, "bin", r.service)
}

// render renders the pack's one job template.
func (r *request) render(snap snapshot.Snapshot) (string, error) {
	vals, err := r.values(snap)
	if err != nil {
		return "", err
	}
	out, err := r.pack.Render(vals)
	if err != nil {
		return "", fmt.Errorf("render pack %s: %w", r.service, err)
	}
	var jobs []string
	for name := range out {
		if strings.HasSuffix(name, ".nomad") || strings.HasSuffix(name, ".nomad.hcl") {
			jobs = append(jobs, name)
		}
	}
	if len(jobs) != 1 {
		return "", fmt.Errorf("pack %s renders %d jobs (%s); svctl runs packs with exactly one", r.service, len(jobs), strings.Join(jobs, ", "))
	}
	return out[jobs[0]], nil
}

func cmdRun(ctx context.Context, args []string, out io.Writer) error {
	timeout := 90 * time.Second
	r, err := parseRequest(ctx, "run", args, func(fs *flag.FlagSet) {
		fs.DurationVar(&timeout, "timeout", timeout, "how long to wait for the instance to be healthy in Consul")
	})
	if err != nil {
		return err
	}
	// The agents first: with them down nothing is copied or built.
	client, err := deploy.Connect(ctx, out)
	if err != nil {
		return err
	}
	// The service's mesh config must be applied: without it Envoy would
	// balance connections, not requests.
	if err := mesh.CheckApplied(client.Consul, r.service); err != nil {
		return err
	}
	if err := chooseSidecar(client, r.vars, out); err != nil {
		return err
	}
	if _, err := r.values(placeholderSnapshot(r)); err != nil {
		return usageError{err.Error()}
	}
	t0 := time.Now()
	snap, err := r.snapshot(ctx, out)
	if err != nil {
		return err
	}
	tCopy := time.Since(t0)

	t1 := time.Now()
	fmt.Fprintf(out, "==> building %s from %s\n", r.build.Build.Package, snap.Dir)
	if err := os.MkdirAll(filepath.Dir(r.binaryPath()), 0o755); err != nil {
		r.discard()
		return fmt.Errorf("create %s: %w", filepath.Dir(r.binaryPath()), err)
	}
	if _, err := gobuild.Build(ctx, snap.Dir, r.build.Build.Package, r.binaryPath()); err != nil {
		r.discard()
		var cerr *gobuild.CompileError
		if errors.As(err, &cerr) {
			return fmt.Errorf("the source does not compile; nothing was submitted:\n%s", strings.TrimRight(cerr.Output, "\n"))
		}
		return fmt.Errorf("build: %w; nothing was submitted", err)
	}
	tBuild := time.Since(t1)

	job, err := r.render(snap)
	if err != nil {
		r.discard()
		return err
	}
	jobPath := filepath.Join(r.runDir, "job.nomad.hcl")
	if err := os.WriteFile(jobPath, []byte(job), 0o644); err != nil {
		r.discard()
		return fmt.Errorf("keep rendered job: %w", err)
	}
	fmt.Fprintf(out, "==> rendered job: %s\n", jobPath)

	t2 := time.Now()
	inst, err := client.Run(ctx, job, timeout)
	if err != nil {
		return err
	}
	tDeploy := time.Since(t2)
	fmt.Fprintf(out, "\n%s %s is running: job %s, allocation %s, at %s\n", r.service, r.name, inst.JobID, inst.AllocID[:8], inst.Address)
	fmt.Fprintf(out, "timings: copy %s, build %s, submit to healthy %s, total %s\n",
		round(tCopy), round(tBuild), round(tDeploy), round(time.Since(t0)))
	return nil
}

// snapshot takes the source into the run's directory and says what it took.
func (r *request) snapshot(ctx context.Context, out io.Writer) (snapshot.Snapshot, error) {
	if err := os.MkdirAll(r.runDir, 0o755); err != nil {
		return snapshot.Snapshot{}, fmt.Errorf("create run directory: %w", err)
	}
	snap, err := snapshot.Take(ctx, r.ws.Root, r.source, filepath.Join(r.runDir, "src"))
	if err != nil {
		r.discard()
		return snap, err
	}
	switch snap.Kind {
	case snapshot.UncommittedCopy:
		dirty := ""
		if snap.Dirty {
			dirty = ", with uncommitted changes"
		}
		fmt.Fprintf(out, "==> copied the working tree (%d files, %s%s) to %s\n", snap.Files, shortCommit(snap.Commit), dirty, snap.Dir)
	case snapshot.Uncommitted:
		fmt.Fprintf(out, "==> using the live working tree %s (no copy)\n", snap.Dir)
	default:
		fmt.Fprintf(out, "==> exported commit %s (%d files) to %s\n", shortCommit(snap.Commit), snap.Files, snap.Dir)
	}
	return snap, nil
}

// discard removes what a failed run made, so nothing half-made is left.
func (r *request) discard() { _ = os.RemoveAll(r.runDir) }

func shortCommit(c string) string {
	if c == "" {
		return "no commit"
	}
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

func round(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }

func randomLetters(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}
