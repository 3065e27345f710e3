package pack

import (
	"testing"
)

// renderSmall renders the small pack with template as its only job and
// overrides on top of name=web.
func renderSmall(t *testing.T, template string, overrides map[string]string) (string, error) {
	t.Helper()
	p := loadSmall(t, map[string]string{"templates/small.nomad.tpl": template})
	all := map[string]string{"name": "web"}
	for k, v := range overrides {
		all[k] = v
	}
	vals, err := p.Values(all)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Render(vals)
	if err != nil {
		return "", err
	}
	return out["small.nomad"], nil
}

func TestRenderGivesTemplatesVariablesAndMetadata(t *testing.T) {
	cases := []struct {
		name, template string
		overrides      map[string]string
		want           string
	}{
		{"string", `[[ var "name" . ]]`, nil, "web"},
		{"integral number without .0", `[[ var "port" . ]]`, map[string]string{"port": "5000"}, "5000"},
		{"fraction", `[[ var "ratio" . ]]`, nil, "0.5"},
		{"bool", `[[ if var "enabled" . ]]on[[ else ]]off[[ end ]]`, map[string]string{"enabled": "true"}, "on"},
		{"range over a list", `[[ range var "dcs" . ]]<[[ . ]]>[[ end ]]`, map[string]string{"dcs": `["a", "b"]`}, "<a><b>"},
		{"dotted key into a map", `[[ var "labels.team" . ]]`, map[string]string{"labels": `{ team = "core" }`}, "core"},
		{"metadata", `[[ meta "pack.name" . ]] [[ meta "pack.version" . ]] [[ meta "app.url" . ]] [[ meta "pack.description" . ]]`, nil, "small 1.2.3 https://example.com/app A small pack."},
		{"sprig", `[[ var "name" . | upper | quote ]]`, nil, `"WEB"`},
		{"vars and metas", `[[ (vars .).port ]] [[ (metas .).pack.name ]]`, nil, "8080 small"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := renderSmall(t, c.template, c.overrides)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("rendered %q, want %q", got, c.want)
			}
		})
	}
}

func TestRenderErrorsNameTemplateFileAndLine(t *testing.T) {
	cases := []struct {
		name, template string
		want           []string
	}{
		{"unknown variable", "job {\n  a = 1\n  b = [[ var \"nmae\" . ]]\n}\n", []string{"templates/small.nomad.tpl:3", `"nmae"`, "dcs, enabled, labels, name"}},
		{"unknown metadata", "\n[[ meta \"pack.nmae\" . ]]", []string{"templates/small.nomad.tpl:2", `"pack.nmae"`}},
		{"missing map key", "[[ (vars .).nope ]]", []string{"templates/small.nomad.tpl:1", "nope"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := renderSmall(t, c.template, nil)
			wantErr(t, err, c.want...)
		})
	}
}

// TestTemplateFailIsTheMessageAlone: a template's own fail is meant for the
// user and says what is wrong; the error is "pack NAME: MESSAGE", without
// the template's internals around it.
func TestTemplateFailIsTheMessageAlone(t *testing.T) {
	_, err := renderSmall(t, "\n\n[[ fail \"variable x is bad\" ]]", nil)
	if err == nil || err.Error() != "pack small: variable x is bad" {
		t.Fatalf("err = %v, want exactly \"pack small: variable x is bad\"", err)
	}
}

func TestRenderUsesHelpersAndSkipsEmptyJobs(t *testing.T) {
	p := loadSmall(t, map[string]string{
		"templates/_helpers.tpl":    `[[ define "greeting" ]]hello [[ var "name" . ]][[ end ]]`,
		"templates/small.nomad.tpl": `[[ template "greeting" . ]]`,
		"templates/empty.nomad.tpl": "[[ if false ]]job {}[[ end ]]\n  \n",
	})
	vals, err := p.Values(map[string]string{"name": "web"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Render(vals)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out["small.nomad"] != "hello web" {
		t.Errorf("rendered %q, want only small.nomad = \"hello web\"", out)
	}
}

func TestRenderRefusesValuesThatDoNotMatchTheVariables(t *testing.T) {
	p := loadSmall(t, nil)
	vals, err := p.Values(map[string]string{"name": "web"})
	if err != nil {
		t.Fatal(err)
	}
	delete(vals, "port")
	vals["extra"] = 1
	_, err = p.Render(vals)
	wantErr(t, err, `no value for variable "port"`, `undeclared variable "extra"`)
}

func TestRenderOutputs(t *testing.T) {
	p := loadSmall(t, map[string]string{"outputs.tpl": `[[ meta "pack.name" . ]] runs [[ var "name" . ]]`})
	vals, err := p.Values(map[string]string{"name": "web"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.RenderOutputs(vals)
	if err != nil || got != "small runs web" {
		t.Errorf("RenderOutputs = %q, %v; want \"small runs web\"", got, err)
	}
	if got, err := loadSmall(t, nil).RenderOutputs(vals); got != "" || err != nil {
		t.Errorf("RenderOutputs without outputs.tpl = %q, %v; want nothing", got, err)
	}
}

// RenderOutputs executes the pack's outputs.tpl with values, the text
// nomad-pack shows after a deployment. It returns "" when the pack has no
// outputs.tpl.
func (p *Pack) RenderOutputs(values Values) (string, error) {
	if !p.hasOutputs {
		return "", nil
	}
	ctx, err := p.context(values)
	if err != nil {
		return "", err
	}
	return p.execute(outputsFile, ctx)
}
