package main

import (
	"context"
	"path/filepath"

	"microwizard/internal/svctl/pack"
	"microwizard/internal/svctl/run"
	"microwizard/internal/svctl/snapshot"
)

// request is a checked run or render: the run, the workspace it is made in,
// and the commit SOURCE names now.
type request struct {
	*run.Request
	ws     *workspace
	commit string
}

// newRequest checks everything about a run that can be checked without
// touching anything or asking an agent: NAME, SOURCE, SERVICE, the pack, the
// --var values, and whether SOURCE names a commit.
func newRequest(ctx context.Context, pos []string, vars varFlags) (*request, error) {
	service, name, typed := pos[0], pos[1], ""
	if len(pos) == 3 {
		typed = pos[2]
	}
	if err := run.ValidateName(name); err != nil {
		return nil, usageError{err.Error()}
	}
	source, err := snapshot.ParseSource(typed)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	ws, err := findWorkspace()
	if err != nil {
		return nil, err
	}
	dir, err := ws.packDir(service)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	p, err := pack.Load(dir)
	if err != nil {
		return nil, err
	}
	r, err := run.NewRequest(p, name, source, vars)
	if err != nil {
		return nil, err
	}
	// An unknown ref is known now, before any agent is asked anything.
	commit, err := snapshot.ResolveCommit(ctx, ws.Root, source)
	if err != nil {
		return nil, err
	}
	return &request{Request: r, ws: ws, commit: commit}, nil
}

// dir is the run's directory: the source copy, the binary, the rendered job.
func (r *request) dir() string { return r.Dir(r.ws.DataDir) }

// planned is what the run will make, before it makes it: render shows it.
// A published run's artifacts are known only once built: placeholders.
func (r *request) planned(published bool) run.Built {
	if published {
		placeholder := run.Artifact{URL: "<published by svctl run>", Checksum: "sha256:<computed by svctl run>"}
		return run.Built{Commit: r.commit, BinaryArtifact: placeholder, SourceArtifact: placeholder}
	}
	b := run.Built{SourceDir: filepath.Join(r.dir(), "src"), Commit: r.commit, Binary: r.binaryPath()}
	if r.Source.Kind == snapshot.Uncommitted {
		b.SourceDir = r.ws.Root
	}
	return b
}

func (r *request) binaryPath() string { return filepath.Join(r.dir(), "bin", r.Service) }
