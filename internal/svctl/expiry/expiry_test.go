package expiry

import (
	"errors"
	"testing"
	"time"
)

// TestCheckRefusesWhatCannotBe: a negative time to live, or one over 30
// days, is bad input; 0 (for ever) and 30 days are not.
func TestCheckRefusesWhatCannotBe(t *testing.T) {
	for _, ok := range []time.Duration{0, time.Minute, DefaultPrivate, DefaultShared, Max} {
		if err := Check(ok); err != nil {
			t.Errorf("Check(%s) = %v", ok, err)
		}
	}
	for _, bad := range []time.Duration{-time.Second, Max + time.Second} {
		var in *InputError
		if err := Check(bad); !errors.As(err, &in) || !in.BadInput() {
			t.Errorf("Check(%s) = %v, want bad input", bad, err)
		}
	}
	if Default(true) != DefaultPrivate || Default(false) != DefaultShared || DefaultPrivate >= DefaultShared {
		t.Errorf("defaults: private %s, shared %s", Default(true), Default(false))
	}
}
