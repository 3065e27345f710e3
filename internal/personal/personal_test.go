package personal

import (
	"regexp"
	"testing"
)

func TestVersion(t *testing.T) {
	cases := []struct {
		values []string
		want   string
	}{
		{nil, ""},
		{[]string{"svctl-version=lobpop_v2"}, "lobpop_v2"},
		{[]string{"userId=alice, svctl-version=lobpop_v2;ttl=3 , isProduction=false"}, "lobpop_v2"},
		{[]string{"userId=alice", "svctl-version=lobpop_v2"}, "lobpop_v2"}, // two header lines
		{[]string{"svctl-version = lobpop_v2"}, "lobpop_v2"},
		{[]string{"other=1"}, ""},
		// Malformed baggage names nothing, and is no error.
		{[]string{"svctl-version=lobpop_v2,=,,"}, ""},
		{[]string{"svctl-version"}, ""},
		{[]string{"svctl-version=a b"}, ""},
		// A value that is no deployment name names nothing.
		{[]string{"svctl-version=x"}, ""},
		{[]string{"svctl-version=%3Cscript%3E"}, ""},
	}
	for _, c := range cases {
		if got := Version(c.values); got != c.want {
			t.Errorf("Version(%q) = %q, want %q", c.values, got, c.want)
		}
	}
}

func TestWithVersion(t *testing.T) {
	// Other members go on; the member is replaced, not repeated.
	got := WithVersion([]string{"userId=alice,svctl-version=old_one"}, "lobpop_v2")
	if v := Version([]string{got}); v != "lobpop_v2" {
		t.Errorf("WithVersion sent %q, which names %q, want lobpop_v2", got, v)
	}
	if !regexp.MustCompile(`(^|,)userId=alice(,|$)`).MatchString(got) {
		t.Errorf("WithVersion sent %q, which lost userId=alice", got)
	}
	// "" removes the member and keeps the rest.
	if got := WithVersion([]string{"userId=alice,svctl-version=old_one"}, ""); got != "userId=alice" {
		t.Errorf("WithVersion(..., \"\") = %q, want userId=alice", got)
	}
	// Malformed baggage is dropped: only the member goes on.
	if got := WithVersion([]string{"a=1,,=,"}, "lobpop_v2"); got != "svctl-version=lobpop_v2" {
		t.Errorf("WithVersion(malformed) = %q, want svctl-version=lobpop_v2", got)
	}
	if got := WithVersion(nil, ""); got != "" {
		t.Errorf("WithVersion(nil, \"\") = %q, want nothing", got)
	}
}

// TestHeaderRegexMatchesWhatVersionReads: the pattern Envoy routes on agrees
// with Version on lists that name the version and lists that do not.
func TestHeaderRegexMatchesWhatVersionReads(t *testing.T) {
	re := regexp.MustCompile(HeaderRegex("lobpop_v2"))
	for _, h := range []string{
		"svctl-version=lobpop_v2",
		"userId=alice,svctl-version=lobpop_v2",
		"userId=alice, svctl-version=lobpop_v2 ;ttl=3, isProduction=false",
		"svctl-version = lobpop_v2,userId=alice",
		"a=1,svctl-version=lobpop_v2;p1;p2=x,b=2",
		WithVersion([]string{"userId=alice,z=9"}, "lobpop_v2"),
	} {
		if !re.MatchString(h) {
			t.Errorf("HeaderRegex does not match %q", h)
		}
		if Version([]string{h}) != "lobpop_v2" {
			t.Errorf("Version(%q) does not name lobpop_v2", h)
		}
	}
	for _, h := range []string{
		"",
		"svctl-version=lobpop_v22",
		"svctl-version=lobpop_v",
		"xsvctl-version=lobpop_v2",
		"svctl-version=other,x=lobpop_v2",
		"userId=svctl-version=lobpop_v2",
		"svctl-version=lobpop.v2",
	} {
		if re.MatchString(h) {
			t.Errorf("HeaderRegex matches %q, which does not name lobpop_v2", h)
		}
	}
}

func TestForward(t *testing.T) {
	in := []string{"userId=alice, svctl-version=lobpop_v2"}
	if v, b := Forward(in, ""); v != "lobpop_v2" || Version([]string{b}) != "lobpop_v2" || !regexp.MustCompile(`(^|,)userId=alice(,|$)`).MatchString(b) {
		t.Errorf("Forward without a choice = %q, %q; want the incoming member and userId kept", v, b)
	}
	if v, b := Forward(in, "lobpop_v3"); v != "lobpop_v3" || Version([]string{b}) != "lobpop_v3" {
		t.Errorf("Forward with a choice = %q, %q; want lobpop_v3 to win", v, b)
	}
	if v, b := Forward([]string{"svctl-version=lobpop_v2,=,,"}, ""); v != "" || b != "" {
		t.Errorf("Forward of malformed baggage = %q, %q; want nothing", v, b)
	}
}
