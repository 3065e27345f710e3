package main

import (
	"os"
	"strings"
	"testing"

	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/pack"
	"microwizard/internal/svctl/run"
	"microwizard/internal/svctl/snapshot"
)

// TestClusterJobNamesNoLocalPath renders the job a run submits to a cluster
// (published, with the values the cluster target chooses and the sidecar it
// picks there) and checks it names no path of the developer's machine: not
// the repository, not svctl's data dir, not the home directory, not the
// demo's MySQL socket; the binary comes from the store, checked.
func TestClusterJobNamesNoLocalPath(t *testing.T) {
	ws, err := findWorkspace()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := ws.packDir("lobsters-popularity")
	if err != nil {
		t.Fatal(err)
	}
	p, err := pack.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, driver := range []string{"raw_exec", "exec", "docker"} {
		r, err := run.NewRequest(p, "lobpop_v1", snapshot.Source{Kind: snapshot.UncommittedCopy}, map[string]string{"driver": driver})
		if err != nil {
			t.Fatal(err)
		}
		chosen := target{cluster: true, dsn: "lobsters:lobsters@tcp(127.0.0.1:3306)/lobsters?parseTime=true"}.values()
		chosen["sidecar"] = "envoy_raw_exec" // what chooseSidecar picks on a cluster without docker
		art := run.Artifact{URL: "http://10.77.0.2:8333/svctl/runs/sha256/ab/lobsters-popularity", Checksum: "sha256:ab"}
		job, err := r.Render(run.Built{Commit: "0123456789abcdef", BinaryArtifact: art, SourceArtifact: art}, chosen)
		if err != nil {
			t.Fatal(err)
		}
		home, _ := os.UserHomeDir()
		for _, local := range []string{ws.Root, ws.DataDir, home, "/run/microwizard"} {
			if local != "" && local != "/" && strings.Contains(job, local) {
				t.Errorf("driver %s: the cluster job names %s, a path of this machine:\n%s", driver, local, job)
			}
		}
		if !strings.Contains(job, `checksum = "sha256:ab"`) || !strings.Contains(job, art.URL) {
			t.Errorf("driver %s: the job does not fetch the published binary with its checksum:\n%s", driver, job)
		}
	}
}

// TestPsShowsInvisibleCharactersEscaped: a name with a right-to-left
// override or a zero-width space (job meta is anyone's to write) is printed
// quoted and escaped, so it cannot pass for another.
func TestPsShowsInvisibleCharactersEscaped(t *testing.T) {
	for _, s := range []string{"lobpop\u202e1v", "lob\u200bpop", "bad\xff", "tab\tname", "lobpop_v1\u3164", "lobpop\ufe0f", "lob\u00a0pop", "lob\u2028pop"} {
		if got := shown(s); got == s || strings.ContainsAny(got, "\u202e\u200b\t\u3164\ufe0f\u00a0\u2028") {
			t.Errorf("shown(%q) = %q, want it escaped", s, got)
		}
	}
	if got := shown("lobpop_v1"); got != "lobpop_v1" {
		t.Errorf("shown(lobpop_v1) = %q, want it as it is", got)
	}
}

// TestPsSourceOfAShortArtifact: a job's meta is anyone's to write; a short
// artifact checksum is shown, not a crash.
func TestPsSourceOfAShortArtifact(t *testing.T) {
	if got := sourceText(deploy.Row{Source: "HEAD", Commit: "0123456789ab", Artifact: "sha256:ab"}); !strings.HasSuffix(got, " ab") {
		t.Errorf("sourceText = %q", got)
	}
}
