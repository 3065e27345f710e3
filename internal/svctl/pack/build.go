package pack

import (
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// buildFile is svctl's addition to a pack: how to build what the job runs,
// where the job may be placed, and what svctl sets per target and per
// sidecar. nomad-pack ignores it.
const buildFile = "build.hcl"

// Build is a pack's build.hcl, everything svctl knows of the service:
//
//	build {
//	  package        = "./cmd/service"       # the Go package svctl builds
//	  publish_source = var.driver == "docker" # optional: publish the source archive too
//	}
//	placement {                # where the job may be placed: svctl picks the nodes from it
//	  driver      = var.driver
//	  datacenters = var.datacenters # optional, default ["*"]
//	  node        = var.node        # optional: the one node it is pinned to
//	}
//	cluster {                  # optional: pack variables svctl sets on a cluster
//	  dsn = "...tcp(127.0.0.1:${var.db_port})..."
//	}
//	sidecar {                  # optional: the job has a Consul Connect sidecar
//	  variable      = "sidecar"        # the variable naming it; --var sets it instead
//	  docker        = "envoy"          # its value where every node has docker
//	  raw_exec      = "envoy_raw_exec" # where they have raw_exec: Envoy from PATH
//	  envoy_binary  = "envoy_binary"   # the variable set to this machine's Envoy, locally
//	  consul_proxy  = "consul_proxy"   # locally, without docker or Envoy: Consul's proxy
//	  consul_binary = "consul_binary"  # the variable set to this machine's consul
//	}
//
// Expressions read the run's values (the pack's defaults under the user's
// --var) as var.NAME.
type Build struct {
	// Package is the package to build, relative to the source's root, such
	// as "./popularity/cmd/lobsters-popularity".
	Package string
	// Sidecar is the sidecar block; nil when the job has no Connect sidecar
	// (it is then not in the mesh: no mesh config, no private routing).
	Sidecar *Sidecar

	publishSource hcl.Expression // nil: no source archive
	placement     placementBlock
	cluster       hcl.Attributes // nil: nothing set on a cluster
}

// Sidecar names the pack variables and values of its Connect sidecar, for
// svctl to set to the one the nodes can run.
type Sidecar struct {
	Variable     string `hcl:"variable"`
	Docker       string `hcl:"docker,optional"`
	RawExec      string `hcl:"raw_exec,optional"`
	EnvoyBinary  string `hcl:"envoy_binary,optional"`
	ConsulProxy  string `hcl:"consul_proxy,optional"`
	ConsulBinary string `hcl:"consul_binary,optional"`
}

// Placement is where a run's job may be placed.
type Placement struct {
	Driver      string
	Datacenters []string // Nomad's glob patterns
	Node        string   // the one node it is pinned to, "" for any
}

type placementBlock struct {
	Driver      hcl.Expression `hcl:"driver"`
	Datacenters hcl.Expression `hcl:"datacenters,optional"`
	Node        hcl.Expression `hcl:"node,optional"`
}

// loadBuild reads build.hcl; a pack without one has no build (nil). Every
// variable it names must be one of vars.
func loadBuild(path string, vars []*Variable) (*Build, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", buildFile, err)
	}
	file, diags := hclparse.NewParser().ParseHCL(src, path)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	var spec struct {
		Build struct {
			Package       string         `hcl:"package"`
			PublishSource hcl.Expression `hcl:"publish_source,optional"`
		} `hcl:"build,block"`
		Placement placementBlock `hcl:"placement,block"`
		Cluster   *struct {
			Body hcl.Body `hcl:",remain"`
		} `hcl:"cluster,block"`
		Sidecar *Sidecar `hcl:"sidecar,block"`
	}
	if diags := gohcl.DecodeBody(file.Body, nil, &spec); diags.HasErrors() {
		return nil, diagError(diags)
	}
	if spec.Build.Package == "" {
		return nil, fmt.Errorf("%s: build.package is empty", path)
	}
	b := &Build{Package: spec.Build.Package, Sidecar: spec.Sidecar, placement: spec.Placement}
	if !isNull(spec.Build.PublishSource) {
		b.publishSource = spec.Build.PublishSource
	}
	declared := map[string]bool{}
	for _, v := range vars {
		declared[v.Name] = true
	}
	var undeclared []string
	if spec.Cluster != nil {
		attrs, diags := spec.Cluster.Body.JustAttributes()
		if diags.HasErrors() {
			return nil, diagError(diags)
		}
		b.cluster = attrs
		for name := range attrs {
			if !declared[name] {
				undeclared = append(undeclared, "cluster."+name)
			}
		}
	}
	if s := spec.Sidecar; s != nil {
		for what, name := range map[string]string{"variable": s.Variable, "envoy_binary": s.EnvoyBinary, "consul_binary": s.ConsulBinary} {
			if name != "" && !declared[name] {
				undeclared = append(undeclared, fmt.Sprintf("sidecar.%s (%s)", what, name))
			}
		}
	}
	if len(undeclared) > 0 {
		slices.Sort(undeclared)
		return nil, fmt.Errorf("%s: %s name variables that variables.hcl does not declare", path, strings.Join(undeclared, ", "))
	}
	return b, nil
}

// isNull reports whether an optional attribute was left out.
func isNull(e hcl.Expression) bool {
	if e == nil {
		return true
	}
	v, diags := e.Value(nil)
	return !diags.HasErrors() && v.IsNull()
}

// Placement evaluates the placement block with the run's values.
func (b *Build) Placement(vals Values) (Placement, error) {
	ctx, err := evalContext(vals)
	if err != nil {
		return Placement{}, err
	}
	p := Placement{Datacenters: []string{"*"}}
	if err := evalInto(b.placement.Driver, ctx, "placement.driver", &p.Driver); err != nil {
		return p, err
	}
	if !isNull(b.placement.Datacenters) {
		if err := evalInto(b.placement.Datacenters, ctx, "placement.datacenters", &p.Datacenters); err != nil {
			return p, err
		}
	}
	if !isNull(b.placement.Node) {
		if err := evalInto(b.placement.Node, ctx, "placement.node", &p.Node); err != nil {
			return p, err
		}
	}
	if p.Driver == "" {
		return p, fmt.Errorf("%s: placement.driver is empty", buildFile)
	}
	return p, nil
}

// PublishSource reports whether a published run also publishes its source
// snapshot, archived, for the job (build.publish_source).
func (b *Build) PublishSource(vals Values) (bool, error) {
	if b.publishSource == nil {
		return false, nil
	}
	ctx, err := evalContext(vals)
	if err != nil {
		return false, err
	}
	var yes bool
	err = evalInto(b.publishSource, ctx, "build.publish_source", &yes)
	return yes, err
}

// ClusterValues evaluates the cluster block with the run's values: the pack
// variables svctl sets, as --var text, when the job goes to a cluster.
func (b *Build) ClusterValues(vals Values) (map[string]string, error) {
	out := map[string]string{}
	if len(b.cluster) == 0 {
		return out, nil
	}
	ctx, err := evalContext(vals)
	if err != nil {
		return nil, err
	}
	var errs []error
	for name, attr := range b.cluster {
		v, diags := attr.Expr.Value(ctx)
		if diags.HasErrors() {
			errs = append(errs, diagError(diags))
			continue
		}
		s, err := convert.Convert(v, cty.String)
		if err != nil || s.IsNull() || !s.IsKnown() {
			errs = append(errs, fmt.Errorf("%s: cluster.%s is %s: give a string, number or bool", attr.Range, name, v.Type().FriendlyName()))
			continue
		}
		out[name] = s.AsString()
	}
	return out, errors.Join(errs...)
}

// evalInto evaluates e and converts it into the Go value at target.
func evalInto(e hcl.Expression, ctx *hcl.EvalContext, what string, target any) error {
	if diags := gohcl.DecodeExpression(e, ctx, target); diags.HasErrors() {
		return fmt.Errorf("%s: %w", what, diagError(diags))
	}
	return nil
}

// evalContext gives expressions the run's values as var.NAME.
func evalContext(vals Values) (*hcl.EvalContext, error) {
	obj := make(map[string]cty.Value, len(vals))
	for k, v := range vals {
		cv, err := goToCty(v)
		if err != nil {
			return nil, fmt.Errorf("variable %q: %w", k, err)
		}
		obj[k] = cv
	}
	return &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(obj)}}, nil
}

// goToCty is the inverse of ctyToGo, for the values templates receive.
func goToCty(v any) (cty.Value, error) {
	switch v := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType), nil
	case string:
		return cty.StringVal(v), nil
	case bool:
		return cty.BoolVal(v), nil
	case int:
		return cty.NumberIntVal(int64(v)), nil
	case int64:
		return cty.NumberIntVal(v), nil
	case float64:
		return cty.NumberVal(big.NewFloat(v)), nil
	case []any:
		return tupleOf(len(v), func(i int) any { return v[i] })
	case []map[string]any:
		return tupleOf(len(v), func(i int) any { return v[i] })
	case map[string]any:
		obj := make(map[string]cty.Value, len(v))
		for k, e := range v {
			ce, err := goToCty(e)
			if err != nil {
				return cty.NilVal, err
			}
			obj[k] = ce
		}
		return cty.ObjectVal(obj), nil
	}
	return cty.NilVal, fmt.Errorf("a value of Go type %T", v)
}

func tupleOf(n int, at func(int) any) (cty.Value, error) {
	elems := make([]cty.Value, n)
	for i := range elems {
		e, err := goToCty(at(i))
		if err != nil {
			return cty.NilVal, err
		}
		elems[i] = e
	}
	return cty.TupleVal(elems), nil
}
