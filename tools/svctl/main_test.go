package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// svctl runs one command line in process, with the agents pointed at a port
// where nothing listens and a fresh data dir, and returns the exit status and
// what it printed.
func svctl(t *testing.T, args ...string) (int, string) {
	t.Helper()
	t.Setenv("NOMAD_ADDR", "http://"+deadAddr(t))
	t.Setenv("CONSUL_HTTP_ADDR", deadAddr(t))
	var out, errOut bytes.Buffer
	code := execute(context.Background(), args, &out, &errOut)
	return code, out.String() + errOut.String()
}

// deadAddr is a loopback address where nothing listens.
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// emptyDataDir points svctl's data dir at a new directory and returns it.
func emptyDataDir(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("SVCTL_DATA", dir)
	return dir
}

func assertNothingCreated(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("svctl created %v in its data dir; a refused command must change nothing", entries)
	}
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"name with a space", []string{"run", "lobsters-popularity", "lob pop", "UNCOMMITTED_COPY"}, 2, "deployment name"},
		{"name with quotes", []string{"run", "lobsters-popularity", `lob"pop`}, 2, "deployment name"},
		{"name with interpolation", []string{"run", "lobsters-popularity", "${env.HOME}"}, 2, "deployment name"},
		{"name with shell metacharacters", []string{"run", "lobsters-popularity", "a;rm -rf"}, 2, "deployment name"},
		{"name too short", []string{"run", "lobsters-popularity", "v1"}, 2, "deployment name"},
		{"name too long", []string{"run", "lobsters-popularity", strings.Repeat("a", 41)}, 2, "deployment name"},
		{"unknown service", []string{"run", "lobsters-karma", "lobpop_v1"}, 2, "known services"},
		{"unknown ref", []string{"run", "lobsters-popularity", "lobpop_v1", "no-such-branch-xyz"}, 2, "unknown git ref"},
		{"unknown describe-style ref", []string{"run", "lobsters-popularity", "lobpop_v1", "v0-3-gb7b3abf"}, 2, "unknown git ref"},
		{"render: unknown ref", []string{"render", "lobsters-popularity", "lobpop_v1", "no-such-branch-xyz"}, 2, "unknown git ref"},
		{"render: relative ref", []string{"render", "lobsters-popularity", "lobpop_v1", "HEAD~1"}, 2, ""},
		{"render: -publish without a store", []string{"render", "-publish", "lobsters-popularity", "lobpop_v1"}, 2, "SVCTL_ARTIFACTS"},
		{"watch: bad name", []string{"watch", "lobsters-popularity", "a b"}, 2, "deployment name"},
		{"watch: unknown service", []string{"watch", "lobsters-karma", "lobpop_v1"}, 2, "known services"},
		{"logs: bad name", []string{"logs", "a/b"}, 2, "deployment name"},
		{"logs: bad tail", []string{"logs", "-tail", "-5", "lobpop_v1"}, 2, "-tail"},
		{"logs: bad since", []string{"logs", "-since", "-1m", "lobpop_v1"}, 2, "-since"},
		{"promote: bad name", []string{"promote", "x"}, 2, "deployment name"},
		{"demote: bad name", []string{"demote", "x"}, 2, "deployment name"},
		{"ps: unknown service", []string{"ps", "lobsters-karma"}, 2, "known services"},
		{"ps: unknown flag", []string{"ps", "-wide"}, 2, "wide"},
		{"publish: no such file", []string{"publish", "/no/such/file"}, 2, "not a file"},
		{"gc: an argument", []string{"gc", "now"}, 2, "got 1 argument"},
		{"mesh: two profiles", []string{"mesh", "a", "b"}, 2, "got 2 argument"},
		{"option as ref", []string{"run", "lobsters-popularity", "lobpop_v1", "--upload-pack=x"}, 2, ""},
		{"short commit", []string{"run", "lobsters-popularity", "lobpop_v1", "abc12"}, 2, "at least 8"},
		{"unknown variable", []string{"run", "--var", "colour=red", "lobsters-popularity", "lobpop_v1"}, 2, "colour"},
		{"ill-typed variable", []string{"run", "--var", "app_port=many", "lobsters-popularity", "lobpop_v1"}, 2, "app_port"},
		{"variable svctl sets", []string{"run", "--var", "deploy_name=other", "lobsters-popularity", "lobpop_v1"}, 2, "svctl sets deploy_name itself"},
		{"missing NAME", []string{"run", "lobsters-popularity"}, 2, "SERVICE NAME"},
		{"stop bad name", []string{"stop", "a b"}, 2, "deployment name"},
		{"unknown command", []string{"deploy"}, 2, "unknown command"},
		{"a value only the template refuses", []string{"run", "--var", "driver=bogus", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY"}, 2, `variable driver is "bogus"`},
		{"interpolation in a value", []string{"run", "--var", "dsn=${attr.x}", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY"}, 2, "variable dsn is"},
		{"a port Nomad reads otherwise", []string{"run", "--var", "app_port=-1", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY"}, 2, "not from 1 to 65535"},
		{"a ref with a bidi override", []string{"run", "lobsters-popularity", "lobpop_v1", "main\u202e"}, 2, "invisible"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := emptyDataDir(t)
			code, out := svctl(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; output:\n%s", code, c.code, out)
			}
			if !strings.Contains(out, c.want) {
				t.Fatalf("output does not say %q:\n%s", c.want, out)
			}
			// Each step is said once: no "render pack X: render pack X: ...".
			if step := repeatedStep(out); step != "" {
				t.Fatalf("output says the step %q twice:\n%s", step, out)
			}
			assertNothingCreated(t, data)
		})
	}
}

func TestAgentsDownIsOneClearLine(t *testing.T) {
	data := emptyDataDir(t)
	code, out := svctl(t, "run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 || !strings.Contains(out, "nomad: no agent answers at http://127.0.0.1:") || !strings.Contains(out, "NOMAD_ADDR") {
		t.Fatalf("want one line naming nomad, its address and NOMAD_ADDR, got:\n%s", out)
	}
	assertNothingCreated(t, data)

	// Every command that needs the agents: a failure of the world, exit 1.
	for _, cmd := range [][]string{
		{"watch", "lobsters-popularity", "lobpop_v1"}, {"stop", "lobpop_v1"}, {"ps"}, {"logs", "lobpop_v1"},
		{"promote", "lobpop_v1"}, {"demote", "lobpop_v1"}, {"mesh"}, {"mesh", "tutorial"}, {"gc"},
	} {
		code, out := svctl(t, cmd...)
		if code != 1 || !strings.Contains(out, "no agent answers") {
			t.Errorf("svctl %v with agents down: exit %d, want 1 saying no agent answers:\n%s", cmd, code, out)
		}
	}
	// The artifact store down: exit 1 too.
	t.Setenv("SVCTL_ARTIFACTS", "s3://bucket/prefix")
	t.Setenv("AWS_ENDPOINT_URL", "http://"+deadAddr(t))
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := svctl(t, "publish", file); code != 1 {
		t.Errorf("svctl publish with the store down: exit %d, want 1:\n%s", code, out)
	}
}

func TestSourceOutsideAGitRepository(t *testing.T) {
	data := emptyDataDir(t)
	wd, _ := os.Getwd()
	t.Cleanup(func() { os.Chdir(wd) })
	if err := os.Chdir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	code, out := svctl(t, "run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	if code == 0 || !strings.Contains(out, "not inside a git repository") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	assertNothingCreated(t, data)
}

func TestUnknownMeshProfileNamesTheKnownOnes(t *testing.T) {
	code, out := svctl(t, "mesh", "fastest")
	if code != 2 || !strings.Contains(out, "resilient, tutorial") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestRenderPrintsTheJobARunWouldSubmit renders without agents: the job
// parses, carries NAME and the commit, and points at paths under the data dir.
func TestRenderPrintsTheJobARunWouldSubmit(t *testing.T) {
	data := emptyDataDir(t)
	t.Setenv("NOMAD_ADDR", "http://"+deadAddr(t))
	t.Setenv("CONSUL_HTTP_ADDR", deadAddr(t))
	var stdout, stderr bytes.Buffer
	code := execute(context.Background(), []string{"render", "--var", "sidecar=envoy_raw_exec", "lobsters-popularity", "lobpop_v1", "HEAD"}, &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, stderr.String())
	}
	// Without agents it says so, on stderr: stdout is the job alone.
	if !strings.Contains(stderr.String(), "the agents were not asked") {
		t.Errorf("render without agents does not say what it did not ask:\n%s", stderr.String())
	}
	if _, diags := hclsyntax.ParseConfig([]byte(out), "job.nomad.hcl", hcl.InitialPos); diags.HasErrors() {
		t.Fatalf("rendered job does not parse: %v\n%s", diags, out)
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`deploy_name = "lobpop_v1"`,
		`commit      = "` + strings.TrimSpace(string(head)) + `"`,
		`source      = "HEAD"`,
		filepath.Join(data, "runs", "lobsters-popularity-lobpop_v1-"),
		`driver         = "raw_exec"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered job lacks %s", want)
		}
	}
	assertNothingCreated(t, data)
}

// repeatedStep returns a step that an error names twice in a row ("load
// pack X: load pack Y: ..."): two consecutive ": "-separated parts that
// start with the same two words. "" if there is none.
func repeatedStep(out string) string {
	for _, line := range strings.Split(out, "\n") {
		parts := strings.Split(line, ": ")
		for i := 1; i < len(parts); i++ {
			a, b := strings.Fields(parts[i-1]), strings.Fields(parts[i])
			if len(a) >= 2 && len(b) >= 2 && a[0] == b[0] && a[1] == b[1] {
				return a[0] + " " + a[1]
			}
		}
	}
	return ""
}

// TestRenderHonoursPublishWithoutAgents: -publish (or a store in
// SVCTL_ARTIFACTS) renders the published form even where no agent
// answers, and says why; the local form has no artifact.
func TestRenderHonoursPublishWithoutAgents(t *testing.T) {
	emptyDataDir(t)
	t.Setenv("NOMAD_ADDR", "http://"+deadAddr(t))
	t.Setenv("CONSUL_HTTP_ADDR", deadAddr(t))
	render := func(args ...string) (string, string) {
		var stdout, stderr bytes.Buffer
		if code := execute(context.Background(), append([]string{"render"}, args...), &stdout, &stderr); code != 0 {
			t.Fatalf("render %v: exit %d:\n%s", args, code, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	job, _ := render("lobsters-popularity", "lobpop_v1")
	if strings.Contains(job, "artifact {") {
		t.Errorf("the local render has an artifact block:\n%s", job)
	}
	t.Setenv("SVCTL_ARTIFACTS", "s3://bucket/prefix")
	for _, args := range [][]string{{"-publish", "lobsters-popularity", "lobpop_v1"}, {"lobsters-popularity", "lobpop_v1"}} {
		job, note := render(args...)
		if !strings.Contains(job, "artifact {") || !strings.Contains(job, "published by svctl run>") {
			t.Errorf("render %v with a store and no agents: no published artifact:\n%s", args, job)
		}
		if !strings.Contains(note, "rendered as published") {
			t.Errorf("render %v does not say it rendered as published:\n%s", args, note)
		}
	}
}
