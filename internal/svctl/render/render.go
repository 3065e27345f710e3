// Package render is the run's render stage: the pack variables of one run,
// layered (the pack's defaults, what svctl chose for the target and the
// sidecar, the user's --var values, svctl's own), and the one job the
// service's pack renders with them.
//
// svctl sets its own variables only where the pack declares them; a pack
// must declare job_name, deploy_name and meta (svctl finds what it ran by
// them), binary for a local run, and artifact_url and artifact_checksum for
// a published one.
package render

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"microwizard/internal/svctl/pack"
	"microwizard/internal/svctl/record"
)

// Pack variables svctl sets itself; --var cannot set them, or the job would
// differ from what was asked for.
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

// SvctlVars lists them, for the check of the user's values.
var SvctlVars = []string{VarJobName, VarDeployName, VarMeta, VarSourceDir, VarBinary,
	VarArtifactURL, VarArtifactChecksum, VarSourceArtifactURL, VarSourceArtifactChecksum}

// required are the variables every pack svctl runs declares.
var required = []string{VarJobName, VarDeployName, VarMeta}

// Run is what rendering needs of a run.
type Run struct {
	Pack   *pack.Pack
	JobID  string            // the Nomad job: svctl's, written as job_name
	Name   string            // the deployment NAME
	Source string            // SOURCE as the user typed it, "HEAD" when none
	User   map[string]string // the user's --var values
	Owner  string            // who runs it
	// Private: a private version, its instances marked so in their meta.
	Private bool
	// Namespace is the Nomad namespace it runs in ("": the default).
	Namespace string
}

// Built is what the steps before rendering made for a run. A run published
// to an artifact store has Binary and SourceDir empty: its job names no
// path of this machine, only where nodes fetch what they run.
type Built struct {
	SourceDir string // the snapshot the binary was built from
	Commit    string // its commit, "" when unknown
	Binary    string // the built service
	// BinaryArtifact and SourceArtifact are the published binary and (for
	// packs that ask for it) the source archive.
	BinaryArtifact, SourceArtifact Artifact
}

// Artifact is something published for the nodes: where they fetch it (the
// source of Nomad's artifact block, go-getter's s3:: form that the node
// fetches with its own credentials: artifacts.Store.URL), and its checksum
// in go-getter's form, sha256:HEX.
type Artifact struct{ URL, Checksum string }

// Check refuses a pack svctl cannot run: without a build, or without a
// variable svctl must set.
func Check(p *pack.Pack) error {
	if p.Build == nil {
		return fmt.Errorf("pack %s has no build.hcl: svctl does not know what to build for it", p.Metadata.Pack.Name)
	}
	var missing []string
	for _, v := range required {
		if !p.Declares(v) {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("pack %s does not declare the variable(s) %s, which svctl sets for every run (it finds what it ran by them)", p.Metadata.Pack.Name, strings.Join(missing, ", "))
	}
	return nil
}

// Record is what the run's job records of it.
func (r Run) Record(b Built) record.Record {
	return record.Record{
		Service:   r.Pack.Metadata.Pack.Name,
		Name:      r.Name,
		Source:    r.Source,
		Commit:    b.Commit,
		SourceDir: b.SourceDir,
		Artifact:  b.BinaryArtifact.Checksum,
		Owner:     r.Owner,
		Private:   r.Private,
		Namespace: r.Namespace,
	}
}

// Values are the pack variables for the run, each layer over the one before:
// the pack's defaults, chosen (the values svctl picked for what the user left
// open, such as the sidecar), the user's --var values, and svctl's own.
func Values(r Run, b Built, chosen map[string]string) (pack.Values, error) {
	over := maps.Clone(chosen)
	if over == nil {
		over = map[string]string{}
	}
	maps.Copy(over, r.User)
	own := map[string]string{VarJobName: r.JobID, VarDeployName: r.Name}
	// What the pack needs to run the build is required of it; the rest
	// (where it was built from, the other mode's variables) is set only
	// where the pack declares it.
	published := b.BinaryArtifact.URL != ""
	need := []string{VarBinary}
	if published {
		need = []string{VarArtifactURL, VarArtifactChecksum}
	}
	if b.SourceArtifact.URL != "" {
		need = append(need, VarSourceArtifactURL, VarSourceArtifactChecksum)
	}
	for _, k := range need {
		if !r.Pack.Declares(k) {
			mode := "local"
			if published {
				mode = "published"
			}
			return nil, fmt.Errorf("pack %s does not declare the variable %s, which svctl sets for a %s run", r.Pack.Metadata.Pack.Name, k, mode)
		}
	}
	for k, v := range map[string]string{
		VarBinary:                 b.Binary,
		VarSourceDir:              b.SourceDir,
		VarArtifactURL:            b.BinaryArtifact.URL,
		VarArtifactChecksum:       b.BinaryArtifact.Checksum,
		VarSourceArtifactURL:      b.SourceArtifact.URL,
		VarSourceArtifactChecksum: b.SourceArtifact.Checksum,
	} {
		if r.Pack.Declares(k) {
			own[k] = v
		}
	}
	maps.Copy(over, own)
	vals, err := r.Pack.Values(over)
	if err != nil {
		return nil, err
	}
	// Meta goes in as a value, not as text to parse: it holds paths.
	meta := map[string]any{}
	for k, v := range r.Record(b).Meta() {
		meta[k] = v
	}
	vals[VarMeta] = meta
	return vals, nil
}

// Job renders the pack's one job for the run (see Values).
func Job(r Run, b Built, chosen map[string]string) (string, error) {
	vals, err := Values(r, b, chosen)
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
		return "", fmt.Errorf("pack %s renders %d jobs (%s); svctl runs packs with exactly one", r.Pack.Metadata.Pack.Name, len(jobs), strings.Join(jobs, ", "))
	}
	return out[jobs[0]], nil
}
