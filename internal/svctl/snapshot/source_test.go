package snapshot

import (
	"os/exec"
	"strings"
	"testing"
)

func TestParseSourceKinds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind Kind
		rev  string
	}{
		{"", Ref, "HEAD"},
		{"UNCOMMITTED_COPY", UncommittedCopy, ""},
		{"UNCOMMITTED", Uncommitted, ""},
		{"HEAD", Ref, "HEAD"},
		{"main", Ref, "main"},
		{"v1.2.3", Ref, "v1.2.3"},
		{"origin/feature-x", Ref, "origin/feature-x"},
		{"refs/tags/v1", Ref, "refs/tags/v1"},
		{"deadbeef", Ref, "deadbeef"},
		{"822b801a76c4943aa933d5171d90808f357f3ca0", Ref, "822b801a76c4943aa933d5171d90808f357f3ca0"},
		{"abc", Ref, "abc"},                 // 3 hex digits: a name, not an abbreviation
		{"uncommitted", Ref, "uncommitted"}, // only the capitals are the keyword
		{"UNCOMMITTED_COPY2", Ref, "UNCOMMITTED_COPY2"},
		{"fix/ünïcode", Ref, "fix/ünïcode"},
	} {
		src, err := ParseSource(tc.in)
		if err != nil {
			t.Errorf("ParseSource(%q): %v", tc.in, err)
			continue
		}
		if src.Kind != tc.kind || src.Rev() != tc.rev || src.String() != tc.in {
			t.Errorf("ParseSource(%q) = {Kind %v, Rev %q, String %q}, want {%v, %q, %q}",
				tc.in, src.Kind, src.Rev(), src.String(), tc.kind, tc.rev, tc.in)
		}
	}
}

func TestParseSourceRefuses(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"-h", `starts with "-"`},
		{"--upload-pack=touch /tmp/x", `starts with "-"`},
		{"--output=/etc/passwd", `starts with "-"`},
		{"main branch", "space"},
		{"main\n", "space"},
		{"ma\x00in", "control"},
		{"ma\x1bin", "control"},
		{"main\u00a0", "space"},
		{"main..dev", `".."`},
		{"main@{1}", `"@{"`},
		{"HEAD@{yesterday}", `"@{"`},
		{"@", `"@"`},
		{"HEAD~1", `'~'`},
		{"main^", `'^'`},
		{"HEAD:go.mod", `':'`},
		{"feat*", `'*'`},
		{"feat?", `'?'`},
		{"feat[1]", `'['`},
		{`feat\x`, `'\\'`},
		{"/main", "empty path component"},
		{"main/", "empty path component"},
		{"a//b", "empty path component"},
		{"main.", `ends with "."`},
		{".hidden", `starts with "."`},
		{"a/.b", `starts with "."`},
		{"main.lock", `".lock"`},
		{"a.lock/b", `".lock"`},
		{"dead", "at least 8"},
		{"beef123", "at least 8"},
		{"ABCDEF0", "at least 8"},
		{"ma\xffin", "UTF-8"},
		{strings.Repeat("a", 257), "longer than"},
	} {
		_, err := ParseSource(tc.in)
		if err == nil {
			t.Errorf("ParseSource(%q) = nil error, want refusal", tc.in)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) {
			t.Errorf("ParseSource(%q) = %q, want it to mention %s", tc.in, msg, tc.want)
		}
		if !strings.Contains(msg, "at least 8 hex digits") || !strings.Contains(msg, "UNCOMMITTED_COPY") {
			t.Errorf("ParseSource(%q) = %q, want it to say what is allowed", tc.in, msg)
		}
	}
}

// TestCheckRefAgreesWithGit holds CheckRef to git's own rules: whatever it
// accepts, `git check-ref-format --allow-onelevel` accepts too.
func TestCheckRefAgreesWithGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	for _, ref := range []string{
		"main", "HEAD", "v1.2.3", "origin/feature-x", "refs/heads/main", "fix/ünïcode",
		"a;b", "a$b", "a|b", "a&b", "a'b", `a"b`, "a`b", "a(b)", "a{b}", "a%{b}", "a${b}", "a#b", "a!b",
		"a.b", "a@b", "a-b", "a_b", "a+b", "a=b", "a,b", "a<b>",
		"main..dev", "main@{1}", "@", "HEAD~1", "main^", "a:b", "a*", "a?", "a[", `a\b`,
		"/a", "a/", "a//b", "a.", ".a", "a/.b", "a.lock", "a.lock/b", "a b", "a\tb",
	} {
		ours := CheckRef(ref)
		gitErr := exec.Command("git", "check-ref-format", "--allow-onelevel", ref).Run()
		if ours == nil && gitErr != nil {
			t.Errorf("CheckRef(%q) accepts a name git refuses", ref)
		}
		if ours != nil && gitErr == nil {
			t.Logf("CheckRef(%q) refuses a name git accepts: %v", ref, ours)
		}
	}
}

func FuzzParseSource(f *testing.F) {
	for _, s := range []string{
		"", "UNCOMMITTED_COPY", "UNCOMMITTED", "HEAD", "main", "v1.2.3", "origin/x", "deadbeef",
		"dead", "-x", "a..b", "a@{1}", "HEAD~1", "a b", "a.lock", "/a", "ü", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		src, err := ParseSource(s)
		if err != nil {
			if !strings.Contains(err.Error(), "UNCOMMITTED_COPY") {
				t.Fatalf("ParseSource(%q) = %q, an error that does not say what is allowed", s, err)
			}
			return
		}
		if got := src.String(); got != s {
			t.Fatalf("ParseSource(%q).String() = %q, want what was typed", s, got)
		}
		again, err := ParseSource(src.String())
		if err != nil || again != src {
			t.Fatalf("ParseSource(String()) = %+v, %v; want %+v", again, err, src)
		}
		if src.Kind == Ref {
			rev := src.Rev()
			if strings.HasPrefix(rev, "-") || strings.ContainsAny(rev, " \t\n\r\x00") || strings.Contains(rev, "..") || strings.Contains(rev, "@{") {
				t.Fatalf("ParseSource accepted the unsafe ref %q", rev)
			}
		}
	})
}

// TestRefsWithInvisibleCharactersAreRefused: a ref svctl would record in a
// job must print as itself.
func TestRefsWithInvisibleCharactersAreRefused(t *testing.T) {
	for _, ref := range []string{"main\u202e", "feat\u200bure", "a\u2066b"} {
		if _, err := ParseSource(ref); err == nil || !strings.Contains(err.Error(), "invisible") {
			t.Errorf("ParseSource(%q) = %v, want a refusal naming the invisible character", ref, err)
		}
	}
}
