package render

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/svctl/pack"
	"microwizard/internal/svctl/record"
)

func loadPack(t *testing.T, dir ...string) *pack.Pack {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	p, err := pack.Load(filepath.Join(append([]string{strings.TrimSpace(string(out))}, dir...)...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSvctlSetsOnlyWhatThePackDeclares: the greeter declares neither
// source_dir nor the source artifact's variables; svctl renders it without
// them, local and published, and its meta records the run.
func TestSvctlSetsOnlyWhatThePackDeclares(t *testing.T) {
	p := loadPack(t, "e2e", "testdata", "packs", "greeter")
	r := Run{Pack: p, JobID: "greeter-greet_v1-abcdef", Name: "greet_v1", Source: "UNCOMMITTED_COPY"}
	local, err := Values(r, Built{SourceDir: "/data/runs/x/src", Commit: "0123456789", Binary: "/data/runs/x/bin/greeter"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if local[VarBinary] != "/data/runs/x/bin/greeter" || local[VarJobName] != r.JobID || local[VarDeployName] != "greet_v1" {
		t.Errorf("local values: %v", local)
	}
	meta, _ := local[VarMeta].(map[string]any)
	if meta[record.MetaManaged] != "1" || meta[record.MetaSourceDir] != "/data/runs/x/src" || meta[record.MetaCommit] != "0123456789" {
		t.Errorf("meta %v does not record the run", meta)
	}
	if _, ok := local[VarSourceDir]; ok {
		t.Errorf("svctl set source_dir, which the greeter does not declare")
	}
	art := Artifact{URL: "s3::http://10.77.0.2:8333/svctl/runs/sha256/ab/greeter", Checksum: "sha256:ab"}
	job, err := Job(r, Built{Commit: "0123456789", BinaryArtifact: art}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(job, `source      = "`+art.URL+`"`) || !strings.Contains(job, `"sha256:ab"`) {
		t.Errorf("the published job does not fetch the artifact:\n%s", job)
	}
	// A source archive only for a pack that declares where it goes.
	if _, err := Values(r, Built{BinaryArtifact: art, SourceArtifact: art}, nil); err == nil || !strings.Contains(err.Error(), VarSourceArtifactURL) {
		t.Errorf("a source artifact for a pack without source_artifact_url: %v, want a refusal naming it", err)
	}
}

// TestLayersUserOverChosen: what svctl chose for the target lies under the
// user's --var, and svctl's own variables over both.
func TestLayersUserOverChosen(t *testing.T) {
	p := loadPack(t, "packs", "lobsters-popularity")
	r := Run{Pack: p, JobID: "lobsters-popularity-v1-abcdef", Name: "lobpop_v1", Source: "HEAD", User: map[string]string{"sidecar": "consul_proxy"}}
	vals, err := Values(r, Built{Binary: "/b"}, map[string]string{"sidecar": "envoy", "host_network": ""})
	if err != nil {
		t.Fatal(err)
	}
	if vals["sidecar"] != "consul_proxy" || vals["host_network"] != "" || vals[VarBinary] != "/b" {
		t.Errorf("sidecar %v, host_network %q, binary %v: want the user's sidecar over svctl's choice, the chosen host_network, svctl's binary", vals["sidecar"], vals["host_network"], vals[VarBinary])
	}
}

// TestCheckRefusesAPackSvctlCannotFind: without job_name, deploy_name and
// meta svctl could not find what it ran.
func TestCheckRefusesAPackSvctlCannotFind(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"metadata.hcl":          "app {\n  url = \"https://example.com\"\n}\npack {\n  name = \"bare\"\n  description = \"d\"\n  version = \"0.1.0\"\n}\n",
		"variables.hcl":         "variable \"job_name\" {\n  type = string\n}\n",
		"build.hcl":             "build {\n  package = \"./cmd/bare\"\n}\nplacement {\n  driver = \"raw_exec\"\n}\n",
		"templates/x.nomad.tpl": "job \"x\" {}\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := pack.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(p); err == nil || !strings.Contains(err.Error(), "deploy_name, meta") {
		t.Errorf("Check of a pack without deploy_name and meta: %v, want a refusal naming them", err)
	}
}

// TestPublishedJobFetchesWithTheNodesCredentials renders the real pack as
// a docker run published to a store on a custom endpoint: both artifact
// blocks name go-getter's S3 form of the store's URLs (the binary's as a
// file), and the job holds none of the credentials svctl published with.
func TestPublishedJobFetchesWithTheNodesCredentials(t *testing.T) {
	const keyID, secret = "AKIDPUBLISHER0001", "publisher-secret-9d2c7e"
	t.Setenv("AWS_ACCESS_KEY_ID", keyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	store, err := artifacts.New(artifacts.Config{Bucket: "svctl", Prefix: "runs", Endpoint: "http://10.77.0.2:8333"})
	if err != nil {
		t.Fatal(err)
	}
	bin := Artifact{URL: store.URL("runs/sha256/4e1f/lobsters-popularity"), Checksum: "sha256:4e1f"}
	src := Artifact{URL: store.URL("runs/sha256/0a1b/source.tar.gz"), Checksum: "sha256:0a1b"}
	if bin.URL != "s3::http://10.77.0.2:8333/svctl/runs/sha256/4e1f/lobsters-popularity" {
		t.Fatalf("the store's URL: %s, want go-getter's S3 form", bin.URL)
	}
	p := loadPack(t, "packs", "lobsters-popularity")
	r := Run{Pack: p, JobID: "lobsters-popularity-lobpop_v1-abcdef", Name: "lobpop_v1", Source: "HEAD",
		User: map[string]string{"driver": "docker", "sidecar": "envoy"}}
	job, err := Job(r, Built{Commit: "0123456789", BinaryArtifact: bin, SourceArtifact: src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"source      = \"" + bin.URL + "\"\n        destination = \"local/bin/lobsters-popularity\"\n        mode        = \"file\"",
		"source      = \"" + src.URL + "\"\n        destination = \"local/source\"",
		`checksum = "sha256:4e1f"`, `checksum = "sha256:0a1b"`,
	} {
		if !strings.Contains(job, want) {
			t.Errorf("the job lacks %q:\n%s", want, job)
		}
	}
	for _, cred := range []string{keyID, secret, "aws_access_key"} {
		if strings.Contains(job, cred) {
			t.Errorf("the job holds %q", cred)
		}
	}
}

// HasTemplate finds a task's template block, and only there.
func TestHasTemplate(t *testing.T) {
	nest := func(inner string) string {
		return "job \"a\" {\n group \"g\" {\n" + inner + "\n }\n}\n"
	}
	for job, want := range map[string]bool{
		nest("task \"t\" {\n template {\n data = \"x\"\n }\n }"): true,
		nest("task \"t\" {\n env {\n A = \"template\"\n }\n }"):  false,
		nest("template {\n data = \"x\"\n }"):                    false,
		"job \"a\" {":                                            false,
	} {
		if got := HasTemplate(job); got != want {
			t.Errorf("HasTemplate(%q) = %v, want %v", job, got, want)
		}
	}
}
