// Package run is one `svctl run`: what the user asked for (SERVICE, NAME,
// SOURCE and their --var values), checked once and never changed afterwards;
// the pack variables svctl sets itself; the meta keys written into the job
// and read back by `svctl ps` and `svctl stop`; the job ID; and the one job
// the service's pack renders for the run.
//
// svctl, the mesh lab and the end-to-end tests all make their runs here, so
// what a run is is said once.
package run

import (
	"crypto/rand"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"microwizard/internal/svctl/pack"
	"microwizard/internal/svctl/snapshot"
)

// Meta keys svctl writes on every job it submits and on its service in
// Consul (the pack's "meta" variable), and reads back to find, list and stop
// what it ran.
const (
	MetaManaged    = "svctl" // "1" on every job svctl submits
	MetaService    = "service"
	MetaDeployName = "deploy_name"
	MetaSource     = "source"
	MetaCommit     = "commit"
	MetaSourceDir  = "source_dir"
	MetaArtifact   = "artifact" // the published binary's checksum; "" when not published
)

// Pack variables svctl sets itself for every run; --var cannot set them, or
// the job would differ from what was asked for.
const (
	VarJobName    = "job_name"
	VarDeployName = "deploy_name"
	VarMeta       = "meta"
	VarSourceDir  = "source_dir"
	VarBinary     = "binary"
	// Set when the run is published to an artifact store.
	VarArtifactURL            = "artifact_url"
	VarArtifactChecksum       = "artifact_checksum"
	VarSourceArtifactURL      = "source_artifact_url"
	VarSourceArtifactChecksum = "source_artifact_checksum"
)

// svctlVars lists them, for the check of the user's values.
var svctlVars = []string{VarJobName, VarDeployName, VarMeta, VarSourceDir, VarBinary,
	VarArtifactURL, VarArtifactChecksum, VarSourceArtifactURL, VarSourceArtifactChecksum}

// Request is a checked run: made by NewRequest, read-only afterwards.
type Request struct {
	Service string          // the pack's name, e.g. lobsters-popularity
	Name    string          // the deployment NAME, e.g. lobpop_v1
	Source  snapshot.Source // SOURCE
	JobID   string          // the Nomad job of this run: SERVICE-NAME-<6 random letters>
	Pack    *pack.Pack

	vars map[string]string // the user's --var values
}

// InputError is a mistake in what the user asked for, found before anything
// was touched.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// BadInput marks the error as the user's mistake (exit status 2).
func (e *InputError) BadInput() bool { return true }

// NewRequest checks a run of the service whose pack is p, named name, built
// from source, with the user's pack variables vars: the name, the variables
// svctl sets itself, and every value against the pack's variables and
// templates. Every error is an *InputError, and nothing is touched.
func NewRequest(p *pack.Pack, name string, source snapshot.Source, vars map[string]string) (*Request, error) {
	if err := ValidateName(name); err != nil {
		return nil, &InputError{err.Error()}
	}
	for _, k := range svctlVars {
		if _, ok := vars[k]; ok {
			return nil, &InputError{fmt.Sprintf("--var %s: svctl sets %s itself for every run", k, k)}
		}
	}
	if p.Build == nil {
		return nil, &InputError{fmt.Sprintf("pack %s has no build.hcl: svctl does not know what to build for it", p.Metadata.Pack.Name)}
	}
	r := &Request{
		Service: p.Metadata.Pack.Name,
		Name:    name,
		Source:  source,
		JobID:   p.Metadata.Pack.Name + "-" + name + "-" + randomLetters(6),
		Pack:    p,
		vars:    maps.Clone(vars),
	}
	// Render once with placeholders for what the run makes, so that a value
	// only the templates refuse is found now too.
	// (As published: whether it will be is known later, and only a published
	// run may use every driver.)
	placeholder := Artifact{URL: "https://placeholder/bin", Checksum: "sha256:placeholder"}
	if _, err := r.Render(Built{SourceDir: "/placeholder/src", Binary: "/placeholder/bin", BinaryArtifact: placeholder, SourceArtifact: placeholder}, nil); err != nil {
		return nil, &InputError{err.Error()}
	}
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

// Built is what the steps before rendering made for a run. A run published
// to an artifact store has Binary and SourceDir empty: its job names no
// path of this machine, only where nodes fetch what they run.
type Built struct {
	SourceDir string // the snapshot the binary was built from
	Commit    string // its commit, "" when unknown
	Binary    string // the built service
	// BinaryArtifact and SourceArtifact are the published binary and (for
	// drivers that need it) the source archive.
	BinaryArtifact, SourceArtifact Artifact
}

// Artifact is something published for the nodes: where they fetch it, and
// its checksum in go-getter's form, sha256:HEX.
type Artifact struct{ URL, Checksum string }

// Meta is the meta a run writes on its job and its service.
func (r *Request) Meta(b Built) map[string]string {
	m := map[string]string{
		MetaManaged:    "1",
		MetaService:    r.Service,
		MetaDeployName: r.Name,
		MetaSource:     r.SourceText(),
		MetaCommit:     b.Commit,
		MetaSourceDir:  b.SourceDir,
	}
	if b.BinaryArtifact.Checksum != "" {
		m[MetaArtifact] = b.BinaryArtifact.Checksum
	}
	return m
}

// Values are the pack variables for the run, each layer over the one before:
// the pack's defaults, chosen (the values svctl picked for what the user left
// open, such as the sidecar), the user's --var values, and svctl's own.
func (r *Request) Values(b Built, chosen map[string]string) (pack.Values, error) {
	over := maps.Clone(chosen)
	if over == nil {
		over = map[string]string{}
	}
	maps.Copy(over, r.vars)
	over[VarJobName] = r.JobID
	over[VarDeployName] = r.Name
	over[VarSourceDir] = b.SourceDir
	over[VarBinary] = b.Binary
	if b.BinaryArtifact.URL != "" {
		over[VarArtifactURL] = b.BinaryArtifact.URL
		over[VarArtifactChecksum] = b.BinaryArtifact.Checksum
	}
	if b.SourceArtifact.URL != "" {
		over[VarSourceArtifactURL] = b.SourceArtifact.URL
		over[VarSourceArtifactChecksum] = b.SourceArtifact.Checksum
	}
	vals, err := r.Pack.Values(over)
	if err != nil {
		return nil, err
	}
	// Meta goes in as a value, not as text to parse: it holds paths.
	meta := map[string]any{}
	for k, v := range r.Meta(b) {
		meta[k] = v
	}
	vals[VarMeta] = meta
	return vals, nil
}

// Render renders the pack's one job for the run (see Values).
func (r *Request) Render(b Built, chosen map[string]string) (string, error) {
	vals, err := r.Values(b, chosen)
	if err != nil {
		return "", err
	}
	out, err := r.Pack.Render(vals)
	if err != nil {
		return "", err
	}
	var jobs []string
	for name := range out {
		if strings.HasSuffix(name, ".nomad") || strings.HasSuffix(name, ".nomad.hcl") {
			jobs = append(jobs, name)
		}
	}
	if len(jobs) != 1 {
		slices.Sort(jobs)
		return "", fmt.Errorf("pack %s renders %d jobs (%s); svctl runs packs with exactly one", r.Service, len(jobs), strings.Join(jobs, ", "))
	}
	return out[jobs[0]], nil
}

// Dir is the run's directory under svctl's data dir: its source copy, its
// binary and its rendered job.
func (r *Request) Dir(dataDir string) string { return filepath.Join(dataDir, "runs", r.JobID) }

// Record is what a job's meta says of the run that submitted it.
type Record struct {
	Service, Name, Source, Commit, SourceDir, Artifact string
}

// ReadMeta reads a job's meta; ok is false for a job svctl did not submit.
func ReadMeta(meta map[string]string) (rec Record, ok bool) {
	if meta[MetaManaged] != "1" {
		return Record{}, false
	}
	return Record{
		Service:   meta[MetaService],
		Name:      meta[MetaDeployName],
		Source:    meta[MetaSource],
		Commit:    meta[MetaCommit],
		SourceDir: meta[MetaSourceDir],
		Artifact:  meta[MetaArtifact],
	}, true
}

// ShortID is the first 8 characters of a Nomad ID or a commit, as Nomad's
// CLI shows them.
func ShortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
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
