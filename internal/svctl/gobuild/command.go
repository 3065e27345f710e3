package gobuild

import (
	"context"
	"os/exec"
	"syscall"
	"time"
)

// goCommand is the go command with args, run in dir, that ends with ctx with
// everything it started: go build's compilers and linkers run in its process
// group, and the whole group is killed, so that Ctrl-C ends a build at once
// instead of when the last compiler finishes.
func goCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 500 * time.Millisecond
	return cmd
}
