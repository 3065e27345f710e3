package pack

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/Masterminds/sprig/v3"
	"github.com/zclconf/go-cty/cty"
)

// mustRefuse reports whether the real pack must refuse value for a string
// variable: text HCL would change (invalid UTF-8, not in normal form C), or
// text Nomad would interpret when it starts the task ("${", "%{").
func mustRefuse(value string) bool {
	return !utf8.ValidString(value) || cty.NormalizeString(value) != value ||
		strings.Contains(value, "${") || strings.Contains(value, "%{")
}

// FuzzRender renders the real pack with arbitrary text for the variables a
// user or svctl controls. Rendering must fail exactly when a value must be
// refused; otherwise the job must parse with HCL, keep its structure, and
// give back every value exactly, evaluated with no variables (an injected
// interpolation would fail or differ).
func FuzzRender(f *testing.F) {
	p, err := Load(realPack)
	if err != nil {
		f.Fatal(err)
	}
	seeds := []string{
		"lobpop_v1",
		"",
		`a"b`,
		`back\slash\`,
		`trailing\`,
		"${NOMAD_ALLOC_ID}",
		"$${literal}",
		"$$",
		"%{ if true }x%{ endif }",
		"%%{",
		"$",
		"line\nbreak\r\n",
		"tab\tand\x00nul\x07bell\x1b",
		"<no value>",
		"]] [[ var \"job_name\" . ]]",
		`x" } job "evil" { meta { y = "`,
		"x\"\n  count = 5\n  y = \"",
		"\u2028\u2029\ufeff",
		"caf\u00e9 \u65e5\u672c \U0001F600",
		"caf\u0065\u0301",
		"bad\xffutf8",
		"/path with spaces/and:colons",
		"lobsters:lobsters@unix(/run/mysqld/mysqld.sock)/lobsters?parseTime=true",
	}
	for i, s := range seeds {
		other := seeds[(i+1)%len(seeds)]
		f.Add(s, s, other, s, other, s, other, i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, jobName, deployName, source, sourceDir, commit, binary, dsn string, docker bool) {
		driver := "raw_exec"
		if docker {
			driver = "docker"
		}
		overrides := map[string]string{
			"job_name": jobName, "deploy_name": deployName,
			"source_dir": sourceDir, "binary": binary, "dsn": dsn,
			"driver": driver, "sidecar": "envoy_raw_exec",
		}
		meta := runMeta(deployName, source, commit, sourceDir)
		refuse := false
		for _, v := range overrides {
			refuse = refuse || mustRefuse(v)
		}
		for _, v := range meta {
			refuse = refuse || mustRefuse(v)
		}
		var out map[string]string
		vals, err := valuesWithMeta(p, overrides, meta)
		if err == nil {
			out, err = p.Render(vals)
		}
		switch {
		case err != nil && refuse:
			return
		case err != nil:
			t.Fatalf("refused acceptable values %q: %v", overrides, err)
		case refuse:
			t.Fatalf("accepted values it must refuse %q:\n%s", overrides, out["lobsters-popularity.nomad"])
		}
		err = checkJob(out["lobsters-popularity.nomad"], wantJob{
			jobName: jobName, deployName: deployName, source: source, sourceDir: sourceDir,
			commit: commit, binary: binary, dsn: dsn, driver: driver,
		})
		if err != nil {
			t.Fatalf("values %q:\n%v\nrendered:\n%s", overrides, err, out["lobsters-popularity.nomad"])
		}
	})
}

// TestReadBackCatchesSprigQuote shows why the pack has its own quoting
// helper, and that the read-back check FuzzRender relies on catches what a
// naive one lets through: Sprig's quote (Go's %q) leaves "${" for HCL to
// interpolate and writes control characters with escapes HCL rejects.
func TestReadBackCatchesSprigQuote(t *testing.T) {
	quote := sprig.TxtFuncMap()["quote"].(func(...any) string)
	for _, value := range []string{"${NOMAD_ALLOC_ID}", "%{ if true }yes%{ endif }", "bell\x07", "$${x}"} {
		src := fmt.Sprintf("job %s {\n  meta {\n    v = %s\n  }\n}\n", quote(value), quote(value))
		body, err := parseHCL("naive.nomad", src)
		if err != nil {
			continue // HCL refuses it: caught.
		}
		job, err := only(body, "job")
		if err != nil {
			t.Fatal(err)
		}
		meta, err := only(job.Body, "meta")
		if err != nil {
			t.Fatal(err)
		}
		got, err := stringAttr(meta.Body, "v")
		if err == nil && got == value && job.Labels[0] == value {
			t.Errorf("sprig's quote kept %q intact; the read-back check would not catch it", value)
		}
	}
}
