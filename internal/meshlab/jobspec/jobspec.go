// Package jobspec is the mesh lab's stand-in for Nomad's job parser: the lab
// runs jobs without Nomad, so it reads them itself. It reads a job written in
// HCL2, as jobs/ and the rendered packs hold them, into the parts of a
// nomad.Job the lab runs (groups, ports, services with their checks and
// Connect sidecars, tasks), with var.* evaluated as `nomad job run -var`
// does; the rest of the job is left alone. svctl does not use it: Nomad
// parses what svctl submits.
//
// It is checked against real Nomad by e2e's TestLabRegistersAsNomadDoes,
// which runs the rendered pack (with svctl) and the monolith's job on a
// Nomad dev agent, reads the same two files with this package, and compares
// the Consul registration the lab derives from them (meshlab.Registration)
// with what Nomad registered. meshlab's registration tests read the same
// jobs without Nomad and check what Consul 1.14's API does not return to that
// comparison, such as check intervals, against the pack and the job files.
package jobspec

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	nomad "github.com/hashicorp/nomad/api"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Parse reads a Nomad job written in HCL2 into these parts of it: the job's
// ID and meta, and for each group its name, shutdown delay, network ports,
// services (checks and Connect sidecar included) and tasks (name, driver,
// config command and args, env).
//
// The file's variable blocks give var.* their defaults, replaced by vars (the
// text of `nomad job run -var name=value`). Only the attributes above are
// evaluated: the rest, such as a sidecar_task (dynamic or not) with Nomad's
// runtime interpolations (${NOMAD_...}, ${meta...}), is left alone.
func Parse(filename string, src []byte, vars map[string]string) (*nomad.Job, error) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("parse job: %w", diags)
	}
	body := f.Body.(*hclsyntax.Body)
	values, err := variableValues(body, vars)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", filename, err)
	}
	d := &decoder{ctx: &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(values)}}}
	jobs := blocksOf(body, "job")
	if len(jobs) != 1 || len(jobs[0].Labels) != 1 {
		return nil, fmt.Errorf("job %s: want one labelled job block, found %d job blocks", filename, len(jobs))
	}
	job := d.job(jobs[0])
	if err := errors.Join(d.errs...); err != nil {
		return nil, fmt.Errorf("job %s: %w", filename, err)
	}
	return job, nil
}

// variableValues returns the value of every variable block: its default, or
// the override of the same name converted to the variable's type.
func variableValues(body *hclsyntax.Body, overrides map[string]string) (map[string]cty.Value, error) {
	values := map[string]cty.Value{}
	for _, b := range blocksOf(body, "variable") {
		if len(b.Labels) != 1 {
			return nil, fmt.Errorf("%s: a variable block needs one label", b.DefRange())
		}
		name := b.Labels[0]
		ty := cty.DynamicPseudoType
		if a := b.Body.Attributes["type"]; a != nil {
			t, diags := typeexpr.TypeConstraint(a.Expr)
			if diags.HasErrors() {
				return nil, fmt.Errorf("variable %s: type: %w", name, diags)
			}
			ty = t
		}
		var val cty.Value
		raw, overridden := overrides[name]
		switch def := b.Body.Attributes["default"]; {
		case overridden:
			v, err := parseVarText(name, raw, ty)
			if err != nil {
				return nil, err
			}
			val = v
		case def != nil:
			v, diags := def.Expr.Value(nil)
			if diags.HasErrors() {
				return nil, fmt.Errorf("variable %s: default: %w", name, diags)
			}
			val = v
		default:
			return nil, fmt.Errorf("variable %s has no default and no value was given", name)
		}
		v, err := convert.Convert(val, ty)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", name, err)
		}
		values[name] = v
	}
	for _, name := range slices.Sorted(maps.Keys(overrides)) {
		if _, ok := values[name]; !ok {
			return nil, fmt.Errorf("a value was given for %s, which the job does not declare", name)
		}
	}
	return values, nil
}

// parseVarText reads the text of a -var value: literally for a string,
// number or bool variable, else as an HCL expression, as Nomad does.
func parseVarText(name, raw string, ty cty.Type) (cty.Value, error) {
	if ty.IsPrimitiveType() || ty == cty.DynamicPseudoType {
		return cty.StringVal(raw), nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), "<var "+name+">", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("variable %s: %w", name, diags)
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("variable %s: %w", name, diags)
	}
	return v, nil
}

// decoder evaluates the attributes of a job it is asked for, collecting
// errors rather than stopping at the first.
type decoder struct {
	ctx  *hcl.EvalContext
	errs []error
}

func (d *decoder) job(b *hclsyntax.Block) *nomad.Job {
	id := b.Labels[0]
	job := &nomad.Job{ID: &id, Name: &id, Meta: d.attrMap(d.first(b.Body, "meta"))}
	for _, g := range d.blocks(b.Body, "group") {
		job.TaskGroups = append(job.TaskGroups, d.group(g))
	}
	return job
}

func (d *decoder) group(b *hclsyntax.Block) *nomad.TaskGroup {
	name := d.label(b)
	tg := &nomad.TaskGroup{Name: &name, Meta: d.attrMap(d.first(b.Body, "meta"))}
	if a := b.Body.Attributes["shutdown_delay"]; a != nil {
		delay := d.duration(a)
		tg.ShutdownDelay = &delay
	}
	for _, n := range d.blocks(b.Body, "network") {
		tg.Networks = append(tg.Networks, d.network(n))
	}
	for _, s := range d.blocks(b.Body, "service") {
		tg.Services = append(tg.Services, d.service(s))
	}
	for _, t := range d.blocks(b.Body, "task") {
		tg.Tasks = append(tg.Tasks, d.task(t))
	}
	return tg
}

func (d *decoder) network(b *hclsyntax.Block) *nomad.NetworkResource {
	n := &nomad.NetworkResource{Mode: d.optString(b.Body, "mode")}
	for _, p := range d.blocks(b.Body, "port") {
		n.DynamicPorts = append(n.DynamicPorts, nomad.Port{
			Label:       d.label(p),
			Value:       d.optInt(p.Body, "static"),
			To:          d.optInt(p.Body, "to"),
			HostNetwork: d.optString(p.Body, "host_network"),
		})
	}
	return n
}

func (d *decoder) service(b *hclsyntax.Block) *nomad.Service {
	s := &nomad.Service{
		Name:        d.optString(b.Body, "name"),
		PortLabel:   d.optString(b.Body, "port"),
		AddressMode: d.optString(b.Body, "address_mode"),
		Provider:    d.optString(b.Body, "provider"),
		Tags:        d.optStrings(b.Body, "tags"),
		Meta:        d.attrMap(d.first(b.Body, "meta")),
	}
	for _, c := range d.blocks(b.Body, "check") {
		s.Checks = append(s.Checks, d.check(c))
	}
	if c := d.first(b.Body, "connect"); c != nil {
		s.Connect = &nomad.ConsulConnect{Native: d.optBool(c.Body, "native")}
		if ss := d.first(c.Body, "sidecar_service"); ss != nil {
			s.Connect.SidecarService = d.sidecarService(ss)
		}
		if st := d.first(c.Body, "sidecar_task"); st != nil {
			s.Connect.SidecarTask = d.sidecarTask(st)
		}
	}
	return s
}

func (d *decoder) check(b *hclsyntax.Block) nomad.ServiceCheck {
	c := nomad.ServiceCheck{
		Name:        d.optString(b.Body, "name"),
		Type:        d.optString(b.Body, "type"),
		Path:        d.optString(b.Body, "path"),
		Method:      d.optString(b.Body, "method"),
		Protocol:    d.optString(b.Body, "protocol"),
		PortLabel:   d.optString(b.Body, "port"),
		AddressMode: d.optString(b.Body, "address_mode"),
		Expose:      d.optBool(b.Body, "expose"),
	}
	if a := b.Body.Attributes["interval"]; a != nil {
		c.Interval = d.duration(a)
	}
	if a := b.Body.Attributes["timeout"]; a != nil {
		c.Timeout = d.duration(a)
	}
	return c
}

func (d *decoder) sidecarService(b *hclsyntax.Block) *nomad.ConsulSidecarService {
	ss := &nomad.ConsulSidecarService{
		Port:                   d.optString(b.Body, "port"),
		Tags:                   d.optStrings(b.Body, "tags"),
		DisableDefaultTCPCheck: d.optBool(b.Body, "disable_default_tcp_check"),
		Meta:                   d.attrMap(d.first(b.Body, "meta")),
	}
	if p := d.first(b.Body, "proxy"); p != nil {
		ss.Proxy = &nomad.ConsulProxy{
			LocalServiceAddress: d.optString(p.Body, "local_service_address"),
			LocalServicePort:    d.optInt(p.Body, "local_service_port"),
			Config:              d.anyMap(d.first(p.Body, "config")),
		}
		for _, u := range d.blocks(p.Body, "upstreams") {
			ss.Proxy.Upstreams = append(ss.Proxy.Upstreams, &nomad.ConsulUpstream{
				DestinationName:  d.optString(u.Body, "destination_name"),
				LocalBindPort:    d.optInt(u.Body, "local_bind_port"),
				LocalBindAddress: d.optString(u.Body, "local_bind_address"),
				Datacenter:       d.optString(u.Body, "datacenter"),
			})
		}
	}
	return ss
}

func (d *decoder) sidecarTask(b *hclsyntax.Block) *nomad.SidecarTask {
	t := &nomad.SidecarTask{
		Driver: d.optString(b.Body, "driver"),
		Env:    d.attrMap(d.first(b.Body, "env")),
		Config: d.commandConfig(d.first(b.Body, "config")),
	}
	if a := b.Body.Attributes["shutdown_delay"]; a != nil {
		delay := d.duration(a)
		t.ShutdownDelay = &delay
	}
	return t
}

// commandConfig reads a task config's command and args, nil for no block.
func (d *decoder) commandConfig(c *hclsyntax.Block) map[string]any {
	if c == nil {
		return nil
	}
	config := map[string]any{}
	if a := c.Body.Attributes["command"]; a != nil {
		config["command"] = d.str(a)
	}
	if a := c.Body.Attributes["args"]; a != nil {
		config["args"] = d.strings(a)
	}
	return config
}

func (d *decoder) task(b *hclsyntax.Block) *nomad.Task {
	t := &nomad.Task{
		Name:   d.label(b),
		Driver: d.optString(b.Body, "driver"),
		Env:    d.attrMap(d.first(b.Body, "env")),
	}
	t.Config = d.commandConfig(d.first(b.Body, "config"))
	return t
}

// label returns the block's one label.
func (d *decoder) label(b *hclsyntax.Block) string {
	if len(b.Labels) != 1 {
		d.errs = append(d.errs, fmt.Errorf("%s: a %s block needs one label", b.DefRange(), b.Type))
		return ""
	}
	return b.Labels[0]
}

// value evaluates a and converts it to ty.
func (d *decoder) value(a *hclsyntax.Attribute, ty cty.Type) (cty.Value, bool) {
	v, diags := a.Expr.Value(d.ctx)
	if diags.HasErrors() {
		d.errs = append(d.errs, diags)
		return cty.NilVal, false
	}
	v, err := convert.Convert(v, ty)
	if err == nil && (v.IsNull() || !v.IsWhollyKnown()) {
		err = errors.New("no known value")
	}
	if err != nil {
		d.errs = append(d.errs, fmt.Errorf("%s: %s: %w", a.SrcRange, a.Name, err))
		return cty.NilVal, false
	}
	return v, true
}

func (d *decoder) str(a *hclsyntax.Attribute) string {
	if v, ok := d.value(a, cty.String); ok {
		return v.AsString()
	}
	return ""
}

func (d *decoder) strings(a *hclsyntax.Attribute) []string {
	v, ok := d.value(a, cty.List(cty.String))
	if !ok {
		return nil
	}
	var out []string
	for _, e := range v.AsValueSlice() {
		out = append(out, e.AsString())
	}
	return out
}

func (d *decoder) duration(a *hclsyntax.Attribute) time.Duration {
	s := d.str(a)
	if s == "" {
		return 0
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.errs = append(d.errs, fmt.Errorf("%s: %s: %w", a.SrcRange, a.Name, err))
	}
	return dur
}

func (d *decoder) optString(body *hclsyntax.Body, name string) string {
	if a := body.Attributes[name]; a != nil {
		return d.str(a)
	}
	return ""
}

func (d *decoder) optStrings(body *hclsyntax.Body, name string) []string {
	if a := body.Attributes[name]; a != nil {
		return d.strings(a)
	}
	return nil
}

func (d *decoder) optInt(body *hclsyntax.Body, name string) int {
	a := body.Attributes[name]
	if a == nil {
		return 0
	}
	v, ok := d.value(a, cty.Number)
	if !ok {
		return 0
	}
	n, acc := v.AsBigFloat().Int64()
	if acc != 0 {
		d.errs = append(d.errs, fmt.Errorf("%s: %s: not a whole number", a.SrcRange, name))
	}
	return int(n)
}

func (d *decoder) optBool(body *hclsyntax.Body, name string) bool {
	if a := body.Attributes[name]; a != nil {
		if v, ok := d.value(a, cty.Bool); ok {
			return v.True()
		}
	}
	return false
}

// attrMap evaluates every attribute of a block such as meta or env to a
// string; nil for no block.
func (d *decoder) attrMap(b *hclsyntax.Block) map[string]string {
	if b == nil {
		return nil
	}
	m := make(map[string]string, len(b.Body.Attributes))
	for name, a := range b.Body.Attributes {
		m[name] = d.str(a)
	}
	return m
}

// anyMap evaluates every attribute of a block such as a proxy's config to a
// string, a number or a bool, as Nomad passes it on to Consul; nil for no
// block.
func (d *decoder) anyMap(b *hclsyntax.Block) map[string]any {
	if b == nil {
		return nil
	}
	m := make(map[string]any, len(b.Body.Attributes))
	for name, a := range b.Body.Attributes {
		v, diags := a.Expr.Value(d.ctx)
		if diags.HasErrors() {
			d.errs = append(d.errs, diags)
			continue
		}
		switch v.Type() {
		case cty.Number:
			f, _ := v.AsBigFloat().Float64()
			m[name] = f
		case cty.Bool:
			m[name] = v.True()
		default:
			m[name] = d.str(a)
		}
	}
	return m
}

// blocks returns body's blocks of type typ, in order, with each dynamic
// block of that type expanded: its content once when for_each has one
// element, not at all when it has none. (The jobs here use dynamic blocks
// as conditionals; content that refers to the iterator is not supported.)
func (d *decoder) blocks(body *hclsyntax.Body, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range body.Blocks {
		switch {
		case b.Type == typ:
			out = append(out, b)
		case b.Type == "dynamic" && len(b.Labels) == 1 && b.Labels[0] == typ:
			a := b.Body.Attributes["for_each"]
			content := first(b.Body, "content")
			if a == nil || content == nil {
				d.errs = append(d.errs, fmt.Errorf("%s: dynamic %q needs for_each and content", b.DefRange(), typ))
				continue
			}
			v, diags := a.Expr.Value(d.ctx)
			if diags.HasErrors() {
				d.errs = append(d.errs, diags)
				continue
			}
			if !v.CanIterateElements() || v.LengthInt() > 1 {
				d.errs = append(d.errs, fmt.Errorf("%s: dynamic %q: for_each must have at most one element here", b.DefRange(), typ))
				continue
			}
			if v.LengthInt() == 1 {
				var labels []string
				if a := b.Body.Attributes["labels"]; a != nil {
					labels = d.strings(a)
				}
				out = append(out, &hclsyntax.Block{Type: typ, Labels: labels, Body: content.Body, TypeRange: b.TypeRange, OpenBraceRange: b.OpenBraceRange, CloseBraceRange: b.CloseBraceRange})
			}
		}
	}
	return out
}

// first returns body's first block of type typ, dynamic ones included, or nil.
func (d *decoder) first(body *hclsyntax.Body, typ string) *hclsyntax.Block {
	if bs := d.blocks(body, typ); len(bs) > 0 {
		return bs[0]
	}
	return nil
}

// blocksOf returns body's blocks of type typ, in order.
func blocksOf(body *hclsyntax.Body, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range body.Blocks {
		if b.Type == typ {
			out = append(out, b)
		}
	}
	return out
}

// first returns body's first block of type typ, or nil.
func first(body *hclsyntax.Body, typ string) *hclsyntax.Block {
	if bs := blocksOf(body, typ); len(bs) > 0 {
		return bs[0]
	}
	return nil
}

// ReadFile parses the job file at path with vars (see Parse).
func ReadFile(path string, vars map[string]string) (*nomad.Job, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read job: %w", err)
	}
	return Parse(path, src, vars)
}

// OnlyGroup returns the job's one group and that group's one task: the jobs
// the lab runs (the pack's and the monolith's) have exactly one of each.
func OnlyGroup(job *nomad.Job) (*nomad.TaskGroup, *nomad.Task, error) {
	if len(job.TaskGroups) != 1 || len(job.TaskGroups[0].Tasks) != 1 {
		return nil, nil, fmt.Errorf("job %s: want one group with one task", *job.ID)
	}
	tg := job.TaskGroups[0]
	return tg, tg.Tasks[0], nil
}
