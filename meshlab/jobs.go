package meshlab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsimple"
	nomad "github.com/hashicorp/nomad/api"

	"microwizard/pack"
)

// Where the repository keeps what the lab runs.
const (
	popularityPack = "packs/lobsters-popularity"
	monolithJob    = "jobs/lobsters.nomad.hcl"
	monolithPkg    = "./lobsters/cmd/lobsters"
)

// PopularityRun holds the values svctl gives packs/lobsters-popularity for one
// run; the lab gives the same for one instance.
type PopularityRun struct {
	JobName     string // e.g. lobsters-popularity-lobpop_v1-abcdef
	DeployName  string // svctl's NAME, e.g. lobpop_v1
	Source      string // UNCOMMITTED_COPY, UNCOMMITTED or a ref
	SourceDir   string // where the binary was built from
	Commit      string
	Binary      string // the built service
	DSN         string // LOBSTERS_DSN
	EnvoyBinary string // the host's envoy: the lab runs the envoy_raw_exec sidecar
}

// RenderPopularity renders the pack's one job for run, as svctl renders it.
func RenderPopularity(p *pack.Pack, run PopularityRun) (string, error) {
	vals, err := p.Values(map[string]string{
		"job_name":     run.JobName,
		"deploy_name":  run.DeployName,
		"source":       run.Source,
		"source_dir":   run.SourceDir,
		"commit":       run.Commit,
		"binary":       run.Binary,
		"dsn":          run.DSN,
		"sidecar":      "envoy_raw_exec",
		"envoy_binary": run.EnvoyBinary,
	})
	if err != nil {
		return "", fmt.Errorf("pack values: %w", err)
	}
	out, err := p.Render(vals)
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
		return "", fmt.Errorf("pack %s renders %d jobs; the lab runs packs with exactly one", p.Metadata.Pack.Name, len(jobs))
	}
	return out[jobs[0]], nil
}

// ReadJobFile parses the job file at path with vars (see ParseJob).
func ReadJobFile(path string, vars map[string]string) (*nomad.Job, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read job: %w", err)
	}
	return ParseJob(path, src, vars)
}

// onlyGroup returns the job's one group and its one task.
func onlyGroup(job *nomad.Job) (*nomad.TaskGroup, *nomad.Task, error) {
	if len(job.TaskGroups) != 1 || len(job.TaskGroups[0].Tasks) != 1 {
		return nil, nil, fmt.Errorf("job %s: the lab runs jobs of one group with one task", *job.ID)
	}
	tg := job.TaskGroups[0]
	return tg, tg.Tasks[0], nil
}

// taskCommand returns the command a raw_exec task runs, with its arguments.
func taskCommand(t *nomad.Task) (string, []string, error) {
	if t.Driver != "raw_exec" {
		return "", nil, fmt.Errorf("task %s: driver %q: the lab runs raw_exec tasks", t.Name, t.Driver)
	}
	cmd, _ := t.Config["command"].(string)
	if cmd == "" {
		return "", nil, fmt.Errorf("task %s: no command", t.Name)
	}
	args, _ := t.Config["args"].([]string)
	return cmd, args, nil
}

// buildSpec is a pack's build.hcl: the package svctl builds for it.
type buildSpec struct {
	Build struct {
		Package string `hcl:"package"`
	} `hcl:"build,block"`
}

// packPackage returns the Go package a pack's service is built from.
func packPackage(packDir string) (string, error) {
	var spec buildSpec
	path := filepath.Join(packDir, "build.hcl")
	if err := hclsimple.DecodeFile(path, nil, &spec); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return spec.Build.Package, nil
}
