// Package request is the run's first stage: what the user asked for
// (SERVICE, NAME, SOURCE and their --var values), checked once before
// anything is touched and never changed afterwards. A deployment NAME's
// rules are here too.
//
// svctl, the mesh lab and the end-to-end tests all make their runs from a
// Request, so what may be asked is said once.
package request

import (
	"crypto/rand"
	"fmt"
	"maps"

	"microwizard/internal/svctl/pack"
	"microwizard/internal/svctl/render"
	"microwizard/internal/svctl/snapshot"
)

// Request is a checked run: made by New, read-only afterwards.
type Request struct {
	Service string          // the pack's name, e.g. lobsters-popularity
	Name    string          // the deployment NAME, e.g. lobpop_v1
	Source  snapshot.Source // SOURCE
	Commit  string          // the commit SOURCE named when it was checked, "" for none
	Pack    *pack.Pack

	vars   map[string]string // the user's --var values
	values pack.Values       // the pack's defaults under vars
	// templates: the job has template blocks (the dry render's), which
	// Nomad lets only a submitter allowed to read Consul's keys submit.
	templates bool
}

// InputError is a mistake in what the user asked for, found before anything
// was touched.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// BadInput marks the error as the user's mistake (exit status 2).
func (e *InputError) BadInput() bool { return true }

// New checks a run of the service whose pack is p, named name, built from
// source (commit: what it names now), with the user's pack variables vars:
// the name, the pack, the variables svctl sets itself, and every value
// against the pack's variables and templates. Every error is an
// *InputError, and nothing is touched.
func New(p *pack.Pack, name string, source snapshot.Source, commit string, vars map[string]string) (*Request, error) {
	if err := ValidateName(name); err != nil {
		return nil, &InputError{err.Error()}
	}
	for _, k := range render.SvctlVars {
		if _, ok := vars[k]; ok {
			return nil, &InputError{fmt.Sprintf("--var %s: svctl sets %s itself for every run", k, k)}
		}
	}
	if err := render.Check(p); err != nil {
		return nil, &InputError{err.Error()}
	}
	r := &Request{
		Service: p.Metadata.Pack.Name,
		Name:    name,
		Source:  source,
		Commit:  commit,
		Pack:    p,
		vars:    maps.Clone(vars),
	}
	// A dry render with placeholders for what the run makes, so that a
	// value only the templates refuse is refused now too. (As published:
	// whether it will be is known later, and only a published run may use
	// every driver.)
	placeholder := render.Artifact{URL: "https://placeholder/bin", Checksum: "sha256:placeholder"}
	dry := render.Built{SourceDir: "/placeholder/src", BinaryArtifact: placeholder}
	if !p.Declares(render.VarArtifactURL) {
		dry = render.Built{SourceDir: "/placeholder/src", Binary: "/placeholder/bin"}
	}
	if p.Declares(render.VarSourceArtifactURL) {
		dry.SourceArtifact = placeholder
	}
	vals, err := render.Values(r.ForJob("placeholder-job", "placeholder-owner"), dry, nil)
	if err != nil {
		return nil, &InputError{err.Error()}
	}
	if _, err := p.Build.PublishSource(vals); err != nil {
		return nil, &InputError{fmt.Sprintf("pack %s: %v", r.Service, err)}
	}
	files, err := r.Pack.Render(vals)
	if err != nil {
		return nil, &InputError{err.Error()}
	}
	for _, f := range files {
		r.templates = r.templates || render.HasTemplate(f)
	}
	if _, err := p.Build.Placement(vals); err != nil {
		return nil, &InputError{fmt.Sprintf("pack %s: %v", r.Service, err)}
	}
	r.values = vals
	return r, nil
}

// SourceText is SOURCE as the user typed it, "HEAD" when none was given.
func (r *Request) SourceText() string {
	if s := r.Source.String(); s != "" {
		return s
	}
	return "HEAD"
}

// Var returns the user's value of a pack variable, and whether one was given.
func (r *Request) Var(name string) (string, bool) {
	v, ok := r.vars[name]
	return v, ok
}

// Templates reports whether the job has template blocks.
func (r *Request) Templates() bool { return r.templates }

// Values are the pack's defaults under the user's values, as checked: what
// the pack's build.hcl expressions read (placement, cluster values).
func (r *Request) Values() pack.Values { return r.values }

// NewJobID is a fresh Nomad job ID for one try of the run:
// SERVICE-NAME-<6 random letters>.
func (r *Request) NewJobID() string { return r.Service + "-" + r.Name + "-" + randomLetters(6) }

// ForJob is what rendering needs of the request, for the job jobID run by
// owner.
func (r *Request) ForJob(jobID, owner string) render.Run {
	return render.Run{Pack: r.Pack, JobID: jobID, Name: r.Name, Source: r.SourceText(), User: r.vars, Owner: owner}
}

func randomLetters(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return string(b)
}
