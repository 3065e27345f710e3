package consuldev_test

import (
	"errors"
	"syscall"
	"testing"

	"microwizard/internal/testenv/consultest"
)

// TestStartStop starts an agent (through consultest, which skips without a
// consul binary), uses it, and checks that Stop leaves no process behind.
func TestStartStop(t *testing.T) {
	a := consultest.Start(t)
	pid := a.PID()
	leader, err := a.Client.Status().Leader()
	if err != nil || leader == "" {
		t.Fatalf("leader %q, %v", leader, err)
	}
	if _, _, err := a.Client.Connect().CARoots(nil); err != nil {
		t.Fatalf("Connect CA: %v", err)
	}
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("consul (pid %d) still there after Stop: %v", pid, err)
	}
	if err := a.Stop(); err != nil {
		t.Fatalf("a second Stop: %v", err)
	}
}
