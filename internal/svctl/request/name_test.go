package request

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// NamePattern is the regular expression every valid name matches in full.
// ValidateName does not use it (it explains failures character by character):
// the tests check the two agree.
const NamePattern = `^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$`

var namePattern = regexp.MustCompile(NamePattern)

func TestValidateAccepts(t *testing.T) {
	for _, name := range []string{
		"abc",
		"v2-slow",
		"canary_1",
		"A1-b2_C3",
		"000",
		"9lives",
		"a--",
		"x__",
		strings.Repeat("a", 40),
	} {
		if err := ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", name, err)
		}
		if !namePattern.MatchString(name) {
			t.Errorf("NamePattern does not match accepted name %q", name)
		}
	}
}

func TestValidateRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		want string // part of the error the user reads
	}{
		{"", "is empty"},
		{"ab", "too short"},
		{"a", "too short"},
		{strings.Repeat("a", 41), "too long"},
		{"my name", `contains ' '`},
		{" abc", `contains ' '`},
		{"abc ", `contains ' '`},
		{"tab\there", `contains '\t'`},
		{"line\nbreak", `contains '\n'`},
		{`a"bc`, `contains '"'`},
		{"a'bc", `contains '\''`},
		{"a`bc", "contains '`'"},
		{"${x}", `contains '$'`},
		{"%{abc}", `contains '%'`},
		{"abc;rm", `contains ';'`},
		{"abc|cat", `contains '|'`},
		{"abc&&x", `contains '&'`},
		{"a.b.c", `contains '.'`},
		{"a/bc", `contains '/'`},
		{`a\bc`, `contains '\\'`},
		{"abc\x00", `contains '\x00'`},
		{"abc\x7f", `contains '\x7f'`},
		{"pοpular", `contains 'ο'`},            // Greek omicron
		{"ｐopular", `contains 'ｐ'`},            // full-width p
		{"pop\u200bular", `contains '\u200b'`}, // zero-width space
		{"caf\u00e9", `contains 'é'`},
		{"abc\xff", "not valid UTF-8"},
		{"-abc", `starts with '-'`},
		{"_abc", `starts with '_'`},
		{"--help", `starts with '-'`},
	} {
		err := ValidateName(tc.name)
		if err == nil {
			t.Errorf("ValidateName(%q) = nil, want an error", tc.name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) {
			t.Errorf("ValidateName(%q) = %q, want it to mention %q", tc.name, msg, tc.want)
		}
		if want := fmt.Sprintf("deployment name %q ", tc.name); !strings.HasPrefix(msg, want) {
			t.Errorf("ValidateName(%q) = %q, want it to start with %q", tc.name, msg, want)
		}
		if !strings.Contains(msg, "ASCII letters, digits, '_' and '-'") {
			t.Errorf("ValidateName(%q) = %q, want it to say what is allowed", tc.name, msg)
		}
		if namePattern.MatchString(tc.name) {
			t.Errorf("NamePattern matches refused name %q", tc.name)
		}
	}
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"abc", "v2-slow", "", "a b", "${x}", "%{", "-x-", "pοp", strings.Repeat("z", 41)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateName(name)
		if err != nil {
			if namePattern.MatchString(name) {
				t.Fatalf("ValidateName(%q) = %v, but the name matches %s", name, err, NamePattern)
			}
			return
		}
		if !namePattern.MatchString(name) {
			t.Fatalf("ValidateName accepted %q, which does not match %s", name, NamePattern)
		}
		// An accepted name goes into HCL, JSON, shell lines and URLs as it
		// is: quoting or escaping it must give it back unchanged.
		if q := strconv.Quote(name); q != `"`+name+`"` {
			t.Fatalf("accepted name %q needs escaping in a quoted string: %s", name, q)
		}
		if e := url.PathEscape(name); e != name {
			t.Fatalf("accepted name %q needs escaping in a URL path: %s", name, e)
		}
	})
}
