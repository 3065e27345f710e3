package snapshot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// gitEnv is added to the environment of every git command: status must not
// take the index lock to refresh it, and messages are read in English.
var gitEnv = []string{"GIT_OPTIONAL_LOCKS=0", "LC_ALL=C"}

// gitCmd returns a git command run in dir with stderr captured.
func gitCmd(ctx context.Context, dir string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	return cmd, &stderr
}

// git runs a git command in dir and returns its standard output.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd, stderr := gitCmd(ctx, dir, args...)
	out, err := cmd.Output()
	if err != nil {
		return out, gitErr(args, err, stderr)
	}
	return out, nil
}

// gitError is a git command that failed; Stderr is what it said.
type gitError struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *gitError) Error() string {
	msg := "git " + strings.Join(e.Args, " ") + ": " + e.Err.Error()
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

func (e *gitError) Unwrap() error { return e.Err }

func gitErr(args []string, err error, stderr *bytes.Buffer) error {
	if errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("git is not installed (or not on PATH): %w", err)
	}
	return &gitError{Args: args, Stderr: strings.TrimSpace(stderr.String()), Err: err}
}

// exitCode returns the exit status of a git command that ran and failed, or
// -1 when err is not such a failure.
func exitCode(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	return -1
}

// topLevel returns the top directory of the git work tree holding dir.
func topLevel(ctx context.Context, dir string) (string, error) {
	if fi, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("repository directory: %w", err)
	} else if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		var ge *gitError
		if errors.As(err, &ge) && exitCode(err) > 0 {
			return "", fmt.Errorf("%s is not inside a git repository (%s)", dir, firstLine(ge.Stderr))
		}
		return "", fmt.Errorf("find the git work tree of %s: %w", dir, err)
	}
	top := strings.TrimRight(string(out), "\n")
	if top == "" {
		return "", fmt.Errorf("%s is not inside a git work tree", dir)
	}
	return top, nil
}

// headCommit returns the full hash of HEAD's commit, or "" if the repository
// has no commits yet.
func headCommit(ctx context.Context, top string) (string, error) {
	out, err := git(ctx, top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
	if err != nil {
		if exitCode(err) == 1 {
			return "", nil
		}
		return "", fmt.Errorf("resolve HEAD: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// isDirty reports whether git status shows any change: staged, unstaged, or
// untracked files that are not ignored.
func isDirty(ctx context.Context, top string) (bool, error) {
	out, err := git(ctx, top, "status", "--porcelain", "--untracked-files=normal")
	if err != nil {
		return false, fmt.Errorf("git status: %w", err)
	}
	return len(bytes.TrimSpace(out)) > 0, nil
}

// resolveCommit turns a ref into the full hash of the commit it names. It
// resolves only what a user means by a SOURCE: HEAD, a full ref (refs/...),
// a branch, a tag, a remote-tracking branch, or a commit prefix of at least
// 8 hex digits. Git's other revision syntaxes (such as describe-style names
// ending in -g<hex>, which name an abbreviated commit) are not tried.
func resolveCommit(ctx context.Context, top, rev string) (string, error) {
	var refs []string
	switch {
	case rev == "HEAD":
	case strings.HasPrefix(rev, "refs/"):
		refs = []string{rev}
	default:
		refs = []string{"refs/heads/" + rev, "refs/tags/" + rev, "refs/remotes/" + rev}
	}
	// An exact ref (show-ref reads no revision syntax), else HEAD or a long
	// enough commit prefix; then the commit it is or points to.
	object := ""
	for _, ref := range refs {
		if out, err := git(ctx, top, "show-ref", "--verify", "--hash", "--", ref); err == nil {
			object = strings.TrimSpace(string(out))
			break
		}
	}
	if object == "" && (rev == "HEAD" || isHex(rev) && len(rev) >= 8) {
		object = rev
	}
	if object == "" {
		object = "refs/svctl-no-such-ref" // fails below, with git's own words
	}
	out, err := git(ctx, top, "rev-parse", "--verify", "--quiet", "--end-of-options", object+"^{commit}")
	if err == nil {
		return strings.TrimSpace(string(out)), nil
	}
	var ge *gitError
	if !errors.As(err, &ge) || exitCode(err) <= 0 {
		return "", fmt.Errorf("resolve %s: %w", rev, err)
	}
	if head, herr := headCommit(ctx, top); herr == nil && head == "" {
		if rev == "HEAD" {
			return "", fmt.Errorf("repository %s has no commits yet: commit first, or use UNCOMMITTED_COPY or UNCOMMITTED", top)
		}
		return "", &UnknownRefError{Ref: rev, Why: "repository " + top + " has no commits yet"}
	}
	if ge.Stderr != "" {
		return "", &UnknownRefError{Ref: rev, Why: firstLine(ge.Stderr)}
	}
	return "", &UnknownRefError{Ref: rev, Why: "no commit by that name in " + top}
}

// UnknownRefError is a SOURCE that names no commit: a mistake in the input,
// like a bad NAME.
type UnknownRefError struct{ Ref, Why string }

func (e *UnknownRefError) Error() string { return fmt.Sprintf("unknown git ref %q: %s", e.Ref, e.Why) }

// BadInput marks the error as the user's mistake (exit status 2).
func (e *UnknownRefError) BadInput() bool { return true }

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
