package owner

import (
	"errors"
	"strings"
	"testing"
)

// TestCheckRefusesWhatCannotBeShownAsItIs: an owner is shown to everyone
// in ps and job meta; one that a terminal would not show as itself, or that
// is empty or huge, is refused as bad input.
func TestCheckRefusesWhatCannotBeShownAsItIs(t *testing.T) {
	for _, ok := range []string{"ann@example.com", "Ann Lee", "jürgen@例え.jp", "ci-bot"} {
		if err := Check(ok, "test"); err != nil {
			t.Errorf("Check(%q) = %v, want it accepted", ok, err)
		}
	}
	for _, bad := range []string{"", "   ", "eve\x1b[2J", "tab\there", "new\nline", "rtl\u202eoverride", "zero\u200bwidth", "bad\xff", strings.Repeat("a", MaxLen+1)} {
		err := Check(bad, "SVCTL_OWNER")
		var in *InputError
		if !errors.As(err, &in) || !in.BadInput() || !strings.Contains(err.Error(), "SVCTL_OWNER") {
			t.Errorf("Check(%q) = %v, want bad input naming where it came from", bad, err)
		}
	}
}

// TestSVCTLOwnerOverrides: SVCTL_OWNER, where set, is the owner, checked.
func TestSVCTLOwnerOverrides(t *testing.T) {
	t.Setenv("SVCTL_OWNER", "ann@example.com")
	if got, err := FromEnv(); got != "ann@example.com" || err != nil {
		t.Errorf("FromEnv = %q, %v", got, err)
	}
	t.Setenv("SVCTL_OWNER", "eve\x07")
	if _, err := FromEnv(); err == nil {
		t.Error("FromEnv accepted a NUL")
	}
}
