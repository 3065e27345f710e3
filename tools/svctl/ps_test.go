package main

import (
	"strings"
	"testing"

	"microwizard/internal/svctl/deploy"
)

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
