package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"microwizard/internal/testenv"
)

// TestMain lets the test binary be svctl itself, for the tests that signal
// a real process: with SVCTL_TEST_AS_SVCTL=1 it runs main.
func TestMain(m *testing.M) {
	if os.Getenv("SVCTL_TEST_AS_SVCTL") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// startSvctl starts svctl (this test binary as svctl) with args, every agent
// and the artifact store at addr.
func startSvctl(t *testing.T, addr string, args ...string) (*exec.Cmd, *bytes.Buffer, chan error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, a := range cmd.Args {
		if a == "FILE" {
			cmd.Args[i] = file
		}
	}
	cmd.Env = append(os.Environ(), "SVCTL_TEST_AS_SVCTL=1", "SVCTL_AGENT_TIMEOUT=",
		"NOMAD_ADDR=http://"+addr, "CONSUL_HTTP_ADDR="+addr, "SVCTL_DATA="+t.TempDir(),
		"SVCTL_ARTIFACTS=s3://bucket/prefix", "AWS_ENDPOINT_URL=http://"+addr,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return cmd, &out, done
}

// TestEveryCommandEndsAtOnceOnCtrlC: every command that asks an agent,
// against agents that accept and never answer (the 10 s limit in force),
// exits within a second of Ctrl-C or SIGTERM, with exit status 130 and a
// line saying it was interrupted.
func TestEveryCommandEndsAtOnceOnCtrlC(t *testing.T) {
	commands := [][]string{
		{"run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY"},
		{"run", "-publish", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY"},
		{"watch", "lobsters-popularity", "lobpop_v1"},
		{"stop", "lobpop_v1"},
		{"ps"},
		{"logs", "lobpop_v1"},
		{"logs", "-f", "lobpop_v1"},
		{"promote", "lobpop_v1"},
		{"demote", "lobpop_v1"},
		{"render", "lobsters-popularity", "lobpop_v1"},
		{"mesh"},
		{"mesh", "tutorial"},
		{"publish", "FILE"},
		{"gc"},
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		for _, args := range commands {
			t.Run(sig.String()+"/"+strings.Join(args, " "), func(t *testing.T) {
				t.Parallel()
				addr, accepted := testenv.Unanswering(t)
				cmd, out, done := startSvctl(t, addr, args...)
				// Signalled once it waits on the agent (or the store).
				deadline := time.Now().Add(30 * time.Second)
				for accepted.Load() == 0 {
					if time.Now().After(deadline) {
						_ = cmd.Process.Kill()
						t.Fatalf("svctl %v never reached the agent:\n%s", args, out)
					}
					time.Sleep(10 * time.Millisecond)
				}
				time.Sleep(100 * time.Millisecond)
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				signalled := time.Now()
				select {
				case err := <-done:
					took := time.Since(signalled)
					var ee *exec.ExitError
					if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
						t.Errorf("svctl %v after %v: %v, want exit status %d:\n%s", args, sig, err, exitInterrupted, out)
					}
					if !strings.Contains(out.String(), "interrupted") {
						t.Errorf("svctl %v after %v does not say it was interrupted:\n%s", args, sig, out)
					}
					if took > time.Second {
						t.Errorf("svctl %v exited %s after %v, want within 1 s", args, took.Round(time.Millisecond), sig)
					}
				case <-time.After(time.Second):
					_ = cmd.Process.Kill()
					t.Fatalf("svctl %v still runs 1 s after %v:\n%s", args, sig, out)
				}
			})
		}
	}
}
