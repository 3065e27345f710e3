package run

import (
	"context"
	"fmt"
	"io"

	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/env"
	"microwizard/internal/svctl/owner"
	"microwizard/internal/svctl/placement"
	"microwizard/internal/svctl/render"
	"microwizard/internal/svctl/request"
	"microwizard/internal/svctl/snapshot"
)

// Plan is `svctl render`: the job a run of r would submit, rendered once.
// Where the agents answer, the target and the sidecar are chosen as Run
// chooses them; else the pack's defaults stand (and a configured store or
// -publish gives the published form). The paths are those a run would
// create, a published run's artifacts placeholders, the commit the one
// SOURCE names now. It copies, builds and submits nothing; notes says how
// it chose.
func Plan(ctx context.Context, e *env.Env, r *request.Request, publish bool, notes io.Writer) (string, error) {
	store, err := artifacts.FromEnv()
	if err != nil {
		return "", &request.InputError{Msg: err.Error()}
	}
	chosen := map[string]string{}
	published := false
	if nc, cc, err := e.Agents(); err == nil {
		tgt, c, err := choose(deploy.New(nc, cc, nil), r, store, publish, notes)
		if err != nil {
			return "", err
		}
		chosen, published = c, tgt.Published()
	} else if ctx.Err() != nil {
		return "", err // interrupted: nothing to render
	} else {
		switch {
		case publish && store == nil:
			return "", placement.NoStoreError()
		case store != nil:
			// As run: a configured store is published to.
			published = true
			why := "SVCTL_ARTIFACTS is set"
			if publish {
				why = "-publish"
			}
			fmt.Fprintf(notes, "==> rendered as published to %s (%s), with the pack's defaults for the sidecar: the agents were not asked (%v)\n", store, why, err)
		default:
			fmt.Fprintf(notes, "==> rendered with the pack's defaults for the target and the sidecar: the agents were not asked (%v)\n", err)
		}
	}
	jobID := r.NewJobID()
	built, err := planned(e, r, jobID, published)
	if err != nil {
		return "", err
	}
	// Who would run it: where the agents do not answer, SVCTL_OWNER or a
	// placeholder.
	me, err := e.Owner()
	if err != nil {
		if me, err = owner.FromEnv(); err != nil {
			return "", err
		} else if me == "" {
			me = "<the owner svctl run records>"
		}
	}
	return render.Job(r.ForJob(jobID, me), built, chosen)
}

// planned is what the run would make, before it makes it. A published
// run's artifacts are known only once built: placeholders.
func planned(e *env.Env, r *request.Request, jobID string, published bool) (render.Built, error) {
	if published {
		placeholder := render.Artifact{URL: "<published by svctl run>", Checksum: "sha256:<computed by svctl run>"}
		b := render.Built{Commit: r.Commit, BinaryArtifact: placeholder}
		if withSource, err := r.Pack.Build.PublishSource(r.Values()); err != nil {
			return b, &request.InputError{Msg: err.Error()}
		} else if withSource {
			b.SourceArtifact = placeholder
		}
		return b, nil
	}
	data, err := e.Data()
	if err != nil {
		return render.Built{}, &request.InputError{Msg: err.Error()}
	}
	dir := data.Run(jobID)
	b := render.Built{SourceDir: dir.Src(), Commit: r.Commit, Binary: dir.Binary(r.Service)}
	if r.Source.Kind == snapshot.Uncommitted {
		b.SourceDir, _ = e.Root()
	}
	return b, nil
}
