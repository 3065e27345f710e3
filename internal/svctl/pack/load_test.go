package pack

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestLoadReadsMetadataVariablesAndTemplates(t *testing.T) {
	dir := writePack(t, smallPack(map[string]string{
		"README.md":                 "# small\n",
		"templates/_helpers.tpl":    `[[ define "x" ]]x[[ end ]]`,
		"templates/other.nomad.tpl": "job \"other\" {}\n",
		"templates/notes.txt.tpl":   "an auxiliary file, not a job",
	}))
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Metadata{App: AppMetadata{URL: "https://example.com/app"}, Pack: PackMetadata{Name: "small", Description: "A small pack.", Version: "1.2.3"}}
	if p.Metadata != want {
		t.Errorf("metadata = %+v, want %+v", p.Metadata, want)
	}
	if p.README != "# small\n" {
		t.Errorf("README = %q", p.README)
	}
	var names []string
	for _, v := range p.Variables {
		names = append(names, v.Name)
	}
	if got, want := names, []string{"name", "port", "ratio", "enabled", "dcs", "labels", "untyped"}; !slices.Equal(got, want) {
		t.Errorf("variables = %q, want %q in declaration order", got, want)
	}
	name, dcs, untyped := p.Variables[0], p.Variables[4], p.Variables[6]
	if name.HasDefault() || name.Description != "Required: no default." || name.TypeName() != "string" {
		t.Errorf("variable name = %+v", name)
	}
	if !dcs.HasDefault() || !dcs.Default.RawEquals(cty.ListVal([]cty.Value{cty.StringVal("dc1")})) || dcs.TypeName() != "list(string)" {
		t.Errorf("variable dcs: type %s, default %#v", dcs.TypeName(), dcs.Default)
	}
	if untyped.Type != cty.NilType || untyped.TypeName() != "any" {
		t.Errorf("untyped variable has type %s", untyped.TypeName())
	}
	if got, want := p.jobTemplates, []string{"templates/other.nomad.tpl", "templates/small.nomad.tpl"}; !slices.Equal(got, want) {
		t.Errorf("job templates = %q, want %q", got, want)
	}
}

func TestLoadRefusesAPackWithoutJobTemplate(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"helpers only": smallPack(map[string]string{
			"templates/small.nomad.tpl": "",
			"templates/_helpers.tpl":    `[[ define "x" ]]x[[ end ]]`,
		}),
		"no templates folder": smallPack(nil),
	} {
		t.Run(name, func(t *testing.T) {
			delete(files, "templates/small.nomad.tpl")
			_, err := Load(writePack(t, files))
			wantErr(t, err, "no job template", "templates/<job>.nomad.tpl")
		})
	}
}

func TestLoadReportsFileAndLineOfBadHCL(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{{
		name: "syntax error in variables.hcl",
		files: map[string]string{"variables.hcl": `variable "a" {
  type = string
  default = "x
}
`},
		want: []string{"variables.hcl:3,"},
	}, {
		name: "unknown type",
		files: map[string]string{"variables.hcl": `variable "a" {
  default = "x"
  type    = strng
}
`},
		want: []string{"variables.hcl:3,", "strng"},
	}, {
		name: "default of the wrong type",
		files: map[string]string{"variables.hcl": `variable "port" {
  type    = number
  default = "eighty"
}
`},
		want: []string{"variables.hcl:3,", `"port"`, "number"},
	}, {
		name: "unknown attribute",
		files: map[string]string{"variables.hcl": `variable "a" {
  type = string
  defualt = "x"
}
`},
		want: []string{"variables.hcl:3,", "defualt"},
	}, {
		name: "duplicate variable",
		files: map[string]string{"variables.hcl": `variable "a" {}
variable "a" {}
`},
		want: []string{"variables.hcl:2,", "Duplicate variable", "variables.hcl:1,"},
	}, {
		name: "validation block",
		files: map[string]string{"variables.hcl": `variable "a" {
  validation {
    condition     = true
    error_message = "never"
  }
}
`},
		want: []string{"variables.hcl:2,", "validation blocks are not supported"},
	}, {
		name:  "metadata without pack block",
		files: map[string]string{"metadata.hcl": "app {\n  url = \"u\"\n}\n"},
		want:  []string{"metadata.hcl:", "Missing pack block"},
	}, {
		name: "metadata without version",
		files: map[string]string{"metadata.hcl": `app {
  url = "u"
}
pack {
  name = "p"
}
`},
		want: []string{"metadata.hcl:4,", "version"},
	}, {
		name: "pack dependency",
		files: map[string]string{"metadata.hcl": smallPack(nil)["metadata.hcl"] + `
dependency "other" {
  source = "git::https://example.com/other"
}
`},
		want: []string{"metadata.hcl:11,", "dependencies are not supported", `"other"`},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writePack(t, smallPack(c.files)))
			wantErr(t, err, c.want...)
		})
	}
}

func TestLoadReportsTemplateFileAndLineOfTemplateSyntaxErrors(t *testing.T) {
	_, err := Load(writePack(t, smallPack(map[string]string{
		"templates/small.nomad.tpl": "job \"x\" {\n  a = 1\n  b = [[ if ]]\n}\n",
	})))
	wantErr(t, err, "templates/small.nomad.tpl:3")

	_, err = Load(writePack(t, smallPack(map[string]string{
		"templates/_helpers.tpl": "[[ define \"h\" ]]\n[[ nosuchfunc ]]\n[[ end ]]",
	})))
	wantErr(t, err, "templates/_helpers.tpl:2", "nosuchfunc")
}

func TestLoadRefusesMissingFiles(t *testing.T) {
	for _, file := range []string{"metadata.hcl", "variables.hcl"} {
		files := smallPack(nil)
		delete(files, file)
		_, err := Load(writePack(t, files))
		wantErr(t, err, file)
	}
	_, err := Load(filepath.Join(t.TempDir(), "absent"))
	wantErr(t, err, "absent")
}
