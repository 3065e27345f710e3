// Package owner says who runs svctl, as every run records it and every
// command that changes a version checks it: SVCTL_OWNER where it is set,
// else the name of the Nomad ACL token when the cluster has ACLs, else
// `git config user.email`, else the login name.
package owner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"unicode"
	"unicode/utf8"

	nomad "github.com/hashicorp/nomad/api"
)

// MaxLen is the longest owner, in bytes.
const MaxLen = 200

// InputError is an owner that cannot be recorded.
type InputError struct{ msg string }

func (e *InputError) Error() string { return e.msg }

// BadInput marks the error as the user's mistake (exit status 2).
func (e *InputError) BadInput() bool { return true }

// Check refuses an owner svctl cannot record as it is: empty, too long, not
// UTF-8, or with control or invisible characters (job meta shows it to
// everyone, and one owner must not pass for another).
func Check(owner, from string) error {
	bad := func(why string) error {
		return &InputError{fmt.Sprintf("owner %q (%s) %s: give a name or an e-mail address of printable characters", owner, from, why)}
	}
	switch {
	case strings.TrimSpace(owner) == "":
		return bad("is empty")
	case len(owner) > MaxLen:
		return bad(fmt.Sprintf("is longer than %d bytes", MaxLen))
	case !utf8.ValidString(owner):
		return bad("is not valid UTF-8")
	}
	for _, r := range owner {
		if !unicode.IsGraphic(r) || unicode.Is(unicode.Cf, r) || r != ' ' && unicode.IsSpace(r) {
			return bad(fmt.Sprintf("holds %U", r))
		}
	}
	return nil
}

// FromEnv is SVCTL_OWNER, checked; "" when it is not set.
func FromEnv() (string, error) {
	v, set := os.LookupEnv("SVCTL_OWNER")
	if !set {
		return "", nil
	}
	if err := Check(v, "SVCTL_OWNER"); err != nil {
		return "", err
	}
	return v, nil
}

// Find is who runs svctl against the Nomad of nc, from the checkout at
// repoDir ("" outside one).
func Find(ctx context.Context, nc *nomad.Client, repoDir string) (string, error) {
	if v, err := FromEnv(); v != "" || err != nil {
		return v, err
	}
	tok, _, err := nc.ACLTokens().Self((&nomad.QueryOptions{}).WithContext(ctx))
	switch {
	case err == nil && tok != nil && tok.Name != "":
		return tok.Name, Check(tok.Name, "the Nomad ACL token's name")
	case err != nil && !aclsOff(err):
		return "", fmt.Errorf("read the Nomad ACL token's name, svctl's owner: %w", err)
	}
	cmd := exec.CommandContext(ctx, "git", "config", "user.email")
	cmd.Dir = repoDir
	if out, err := cmd.Output(); err == nil {
		if email := strings.TrimSpace(string(out)); email != "" {
			return email, Check(email, "git config user.email")
		}
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username, Check(u.Username, "the login name")
	}
	return "", errors.New("who runs svctl is unknown: no SVCTL_OWNER, no Nomad ACL token, no git user.email, no login name")
}

// aclsOff reports whether Nomad answered that it has no ACLs (a token
// without a name is not an error either: it is the next source's turn).
func aclsOff(err error) bool {
	return strings.Contains(err.Error(), "ACL support disabled")
}
