package pack

import (
	"errors"
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// This file reads rendered jobs back with HCL's own parser, the way Nomad
// reads them, so tests check what Nomad would see.

// parseHCL parses src as HCL native syntax, failing on any diagnostic.
func parseHCL(name, src string) (*hclsyntax.Body, error) {
	file, diags := hclsyntax.ParseConfig([]byte(src), name, hcl.Pos{Line: 1, Column: 1})
	if len(diags) > 0 {
		return nil, fmt.Errorf("parse %s: %w", name, diags)
	}
	return file.Body.(*hclsyntax.Body), nil
}

// blocksOf returns body's child blocks of type typ.
func blocksOf(body *hclsyntax.Body, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range body.Blocks {
		if b.Type == typ {
			out = append(out, b)
		}
	}
	return out
}

// only returns the single child block of body along the path of block
// types, failing when a step has none or more than one.
func only(body *hclsyntax.Body, types ...string) (*hclsyntax.Block, error) {
	var b *hclsyntax.Block
	for _, typ := range types {
		bs := blocksOf(body, typ)
		if len(bs) != 1 {
			return nil, fmt.Errorf("want one %q block in %v, found %d", typ, types, len(bs))
		}
		b, body = bs[0], bs[0].Body
	}
	return b, nil
}

// attrValue evaluates attribute name of body in ctx (nil: no variables, no
// functions, so any interpolation fails).
func attrValue(body *hclsyntax.Body, name string, ctx *hcl.EvalContext) (cty.Value, error) {
	attr, ok := body.Attributes[name]
	if !ok {
		return cty.NilVal, fmt.Errorf("no attribute %q", name)
	}
	val, diags := attr.Expr.Value(ctx)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("attribute %q: %w", name, diags)
	}
	if !val.IsWhollyKnown() || val.IsNull() {
		return cty.NilVal, fmt.Errorf("attribute %q is unknown or null", name)
	}
	return val, nil
}

// stringAttr returns the string value of attribute name, evaluated with no
// variables.
func stringAttr(body *hclsyntax.Body, name string) (string, error) {
	val, err := attrValue(body, name, nil)
	if err != nil {
		return "", err
	}
	if val.Type() != cty.String {
		return "", fmt.Errorf("attribute %q is %s, not a string", name, val.Type().FriendlyName())
	}
	return val.AsString(), nil
}

// stringsAttr returns the list of strings in attribute name, evaluated in
// ctx.
func stringsAttr(body *hclsyntax.Body, name string, ctx *hcl.EvalContext) ([]string, error) {
	val, err := attrValue(body, name, ctx)
	if err != nil {
		return nil, err
	}
	if !val.Type().IsTupleType() && !val.Type().IsListType() {
		return nil, fmt.Errorf("attribute %q is %s, not a list", name, val.Type().FriendlyName())
	}
	var out []string
	for it := val.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		if ev.Type() != cty.String {
			return nil, fmt.Errorf("attribute %q holds a %s", name, ev.Type().FriendlyName())
		}
		out = append(out, ev.AsString())
	}
	return out, nil
}

// numberAttr returns the integer value of attribute name.
func numberAttr(body *hclsyntax.Body, name string) (int64, error) {
	val, err := attrValue(body, name, nil)
	if err != nil {
		return 0, err
	}
	if val.Type() != cty.Number {
		return 0, fmt.Errorf("attribute %q is %s, not a number", name, val.Type().FriendlyName())
	}
	n, acc := val.AsBigFloat().Int64()
	if acc != 0 {
		return 0, fmt.Errorf("attribute %q is not an integer", name)
	}
	return n, nil
}

// nomadRuntime stands in for what Nomad interpolates when it starts a task,
// so attributes that use it can be read.
var nomadRuntime = &hcl.EvalContext{Variables: map[string]cty.Value{
	"NOMAD_SECRETS_DIR":        cty.StringVal("<secrets>"),
	"NOMAD_PORT_connect_proxy": cty.StringVal("<proxy port>"),
	"meta": cty.ObjectVal(map[string]cty.Value{"connect": cty.ObjectVal(map[string]cty.Value{
		"log_level":         cty.StringVal("<log level>"),
		"proxy_concurrency": cty.StringVal("<concurrency>"),
	})}),
}}

// wantJob is what a user checks in a rendered lobsters-popularity job.
type wantJob struct {
	jobName, deployName, source, sourceDir, commit string
	binary, dsn, driver                            string
	// artifactURL and artifactChecksum: the binary is fetched by the node.
	artifactURL, artifactChecksum string
}

// checkJob parses src and checks it is one job named want.jobName with one
// group of count 1 running the lobsters-popularity service, with a check on
// /health, and that every value the user gave reads back exactly.
func checkJob(src string, want wantJob) error {
	body, err := parseHCL("rendered.nomad", src)
	if err != nil {
		return err
	}
	if len(body.Attributes) != 0 || len(body.Blocks) != 1 {
		return fmt.Errorf("want exactly one top-level block, found %d blocks and %d attributes", len(body.Blocks), len(body.Attributes))
	}
	job, err := only(body, "job")
	if err != nil {
		return err
	}
	var errs []error
	expect := func(what, got string, err error, want string) {
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		case got != want:
			errs = append(errs, fmt.Errorf("%s = %q, want %q", what, got, want))
		}
	}
	if len(job.Labels) != 1 {
		return fmt.Errorf("job block has labels %q", job.Labels)
	}
	expect("job name", job.Labels[0], nil, want.jobName)

	meta := func(where string, b *hclsyntax.Block, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			return
		}
		for key, w := range map[string]string{
			"deploy_name": want.deployName, "source": want.source,
			"commit": want.commit, "source_dir": want.sourceDir,
		} {
			got, err := stringAttr(b.Body, key)
			expect(where+"."+key, got, err, w)
		}
	}
	jobMeta, err := only(job.Body, "meta")
	meta("job meta", jobMeta, err)
	if err == nil {
		got, err := stringAttr(jobMeta.Body, "svctl")
		expect("job meta.svctl", got, err, "1")
	}

	group, err := only(job.Body, "group")
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	count, err := numberAttr(group.Body, "count")
	expect("group count", fmt.Sprint(count), err, "1")

	service, err := only(group.Body, "service")
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	name, err := stringAttr(service.Body, "name")
	expect("service name", name, err, "lobsters-popularity")
	tags, err := stringsAttr(service.Body, "tags", nil)
	expect("service tags", fmt.Sprintf("%q", tags), err, fmt.Sprintf("%q", []string{want.deployName}))
	svcMeta, err := only(service.Body, "meta")
	meta("service meta", svcMeta, err)
	check, err := only(service.Body, "check")
	if err != nil {
		errs = append(errs, err)
	} else {
		path, err := stringAttr(check.Body, "path")
		expect("check path", path, err, "/health")
		typ, err := stringAttr(check.Body, "type")
		expect("check type", typ, err, "http")
	}

	task, err := only(group.Body, "task")
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	driver, err := stringAttr(task.Body, "driver")
	expect("task driver", driver, err, want.driver)
	env, err := only(task.Body, "env")
	if err != nil {
		errs = append(errs, err)
	} else {
		got, err := stringAttr(env.Body, "SERVICE_VERSION")
		expect("env SERVICE_VERSION", got, err, want.deployName)
		if want.dsn != "" {
			got, err = stringAttr(env.Body, "LOBSTERS_DSN")
			expect("env LOBSTERS_DSN", got, err, want.dsn)
		} else {
			// No DSN in the job: the file a template fills from the
			// Nomad Variable.
			if _, ok := env.Body.Attributes["LOBSTERS_DSN"]; ok {
				errs = append(errs, errors.New("env LOBSTERS_DSN is set, with dsn empty: the DSN must come from the Variable"))
			}
			got, err = stringAttr(env.Body, "LOBSTERS_DSN_FILE")
			expect("env LOBSTERS_DSN_FILE", got, err, "${NOMAD_SECRETS_DIR}/lobsters_dsn")
			tmpl, err := only(task.Body, "template")
			if err != nil {
				errs = append(errs, err)
			} else {
				got, err = stringAttr(tmpl.Body, "destination")
				expect("template destination", got, err, "secrets/lobsters_dsn")
				got, err = stringAttr(tmpl.Body, "data")
				expect("template data", got, err, `{{ with nomadVar "nomad/jobs" }}{{ .lobsters_dsn }}{{ end }}`)
			}
		}
	}
	config, err := only(task.Body, "config")
	switch {
	case err != nil:
		errs = append(errs, err)
	case want.artifactURL != "":
		// Published: the task runs what the node fetched, nothing of the
		// developer's machine.
		artifacts := blocksOf(task.Body, "artifact")
		if len(artifacts) == 0 {
			errs = append(errs, errors.New("no artifact block"))
			break
		}
		artifact := artifacts[0] // the binary; a docker job's second is its source
		src, err := stringAttr(artifact.Body, "source")
		expect("artifact source", src, err, want.artifactURL)
		if opts, err := only(artifact.Body, "options"); err != nil {
			errs = append(errs, err)
		} else {
			sum, err := stringAttr(opts.Body, "checksum")
			expect("artifact checksum", sum, err, want.artifactChecksum)
		}
		command, err := stringAttr(config.Body, "command")
		wantCommand := "local/bin/lobsters-popularity"
		if want.driver == "docker" {
			wantCommand = "/local/bin/lobsters-popularity"
		}
		expect("command", command, err, wantCommand)
		if ms := blocksOf(config.Body, "mount"); len(ms) != 0 {
			errs = append(errs, fmt.Errorf("a published job mounts %d host paths", len(ms)))
		}
	case want.driver == "raw_exec":
		got, err := stringAttr(config.Body, "command")
		expect("raw_exec command", got, err, want.binary)
	default:
		var sources []string
		for _, m := range blocksOf(config.Body, "mount") {
			src, err := stringAttr(m.Body, "source")
			if err != nil {
				errs = append(errs, fmt.Errorf("docker mount: %w", err))
			}
			sources = append(sources, src)
		}
		for _, w := range []string{want.binary, want.sourceDir} {
			if !slices.Contains(sources, w) {
				errs = append(errs, fmt.Errorf("docker mounts %q, want one of %q", sources, w))
			}
		}
	}
	return errors.Join(errs...)
}

// labeled returns the single child block of body of type typ whose first
// label is label.
func labeled(body *hclsyntax.Body, typ, label string) (*hclsyntax.Block, error) {
	var found []*hclsyntax.Block
	for _, b := range blocksOf(body, typ) {
		if len(b.Labels) > 0 && b.Labels[0] == label {
			found = append(found, b)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("want one %s %q block, found %d", typ, label, len(found))
	}
	return found[0], nil
}

// valueText renders attribute name of block b, evaluated in ctx, as text a
// test can compare: strings quoted, numbers and bools as HCL writes them,
// lists as Go's %q of their strings. A missing attribute is "<absent>".
func valueText(b *hclsyntax.Block, err error, name string, ctx *hcl.EvalContext) string {
	if err != nil {
		return "<" + err.Error() + ">"
	}
	if _, ok := b.Body.Attributes[name]; !ok {
		return "<absent>"
	}
	val, err := attrValue(b.Body, name, ctx)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	switch {
	case val.Type() == cty.String:
		return fmt.Sprintf("%q", val.AsString())
	case val.Type() == cty.Number:
		return val.AsBigFloat().Text('g', -1)
	case val.Type() == cty.Bool:
		return fmt.Sprint(val.True())
	default:
		list, err := stringsAttr(b.Body, name, ctx)
		if err != nil {
			return "<" + err.Error() + ">"
		}
		return fmt.Sprintf("%q", list)
	}
}
