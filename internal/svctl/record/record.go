// Package record is what svctl writes on every job it submits and on its
// service in Consul, and reads back to find, list and stop what it ran: the
// meta keys, and the record they make.
package record

// Meta keys svctl writes on every job it submits and on its service in
// Consul (the pack's "meta" variable), and reads back.
const (
	MetaManaged    = "svctl" // "1" on every job svctl submits
	MetaService    = "service"
	MetaDeployName = "deploy_name"
	MetaSource     = "source"
	MetaCommit     = "commit"
	MetaSourceDir  = "source_dir"
	MetaArtifact   = "artifact"  // the published binary's checksum; "" when not published
	MetaOwner      = "owner"     // who ran it (see package owner)
	MetaPrivate    = "private"   // "1" on an instance run as a private version: the mesh's shared subset leaves it out
	MetaNamespace  = "namespace" // the Nomad namespace it runs in ("default" for none)
)

// Record is what a job's meta says of the run that submitted it.
type Record struct {
	Service, Name, Source, Commit, SourceDir, Artifact string
	// Owner is who ran it; "" for a job from before svctl recorded owners.
	Owner string
	// Private: run as a private version (run --private).
	Private bool
	// Namespace is the Nomad namespace it runs in; "" read from a job
	// from before svctl recorded it.
	Namespace string
}

// Meta is the meta that records r, as a run writes it.
func (r Record) Meta() map[string]string {
	m := map[string]string{
		MetaManaged:    "1",
		MetaService:    r.Service,
		MetaDeployName: r.Name,
		MetaSource:     r.Source,
		MetaCommit:     r.Commit,
		MetaSourceDir:  r.SourceDir,
	}
	if r.Artifact != "" {
		m[MetaArtifact] = r.Artifact
	}
	if r.Owner != "" {
		m[MetaOwner] = r.Owner
	}
	if r.Private {
		m[MetaPrivate] = "1"
	}
	m[MetaNamespace] = r.Namespace
	if r.Namespace == "" {
		m[MetaNamespace] = "default"
	}
	return m
}

// Read reads a job's meta; ok is false for a job svctl did not submit.
func Read(meta map[string]string) (rec Record, ok bool) {
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
		Owner:     meta[MetaOwner],
		Private:   meta[MetaPrivate] == "1",
		Namespace: meta[MetaNamespace],
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
