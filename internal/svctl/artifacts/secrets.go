package artifacts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// SecretPattern returns the pattern by which the base name of a file looks
// like a secret's ("" if it does not), case aside: .env and .env.* (dotenv
// files), *.pem and *.key (keys, certificates with their keys), id_* (ssh
// keys: id_rsa, id_ed25519...; a Go file id_*.go is code, not a key).
func SecretPattern(name string) string {
	base := strings.ToLower(path.Base(filepath.ToSlash(name)))
	switch {
	case base == ".env":
		return ".env"
	case strings.HasPrefix(base, ".env."):
		return ".env.*"
	case strings.HasSuffix(base, ".pem"):
		return "*.pem"
	case strings.HasSuffix(base, ".key"):
		return "*.key"
	case strings.HasPrefix(base, "id_") && !strings.HasSuffix(base, ".go"):
		return "id_*"
	}
	return ""
}

// AllowedPath checks a path the user allows to publish although its name
// looks like a secret's (svctl run -allow-secret-file PATH): relative to
// the repository's root and inside it. It returns it as a build names its
// files: slash-separated and clean.
func AllowedPath(p string) (string, error) {
	clean := path.Clean(filepath.ToSlash(p))
	if p == "" || clean == "." || path.IsAbs(clean) || !filepath.IsLocal(filepath.FromSlash(clean)) {
		return "", errors.New("want a file's path relative to the repository's root, inside it")
	}
	return clean, nil
}

// SecretFile is a file that would be published although its name looks
// like a secret's.
type SecretFile struct {
	Path    string // relative to the tree's root, slash-separated
	Pattern string // the pattern its name (or its link's target's) matches
	Target  string // for a link, the file it leads to whose name matches; else ""
}

// SecretError refuses a publish that would put files whose names look like
// secrets in the store: one line each, naming the file and the flag that
// publishes it all the same. It is the user's to decide (exit status 2).
type SecretError struct{ Files []SecretFile }

func (e *SecretError) Error() string {
	lines := make([]string, len(e.Files))
	for i, f := range e.Files {
		what := f.Path
		if f.Target != "" {
			what += " (a link to " + f.Target + ")"
		}
		lines[i] = fmt.Sprintf("%s looks like a secret by its name (%s), so nothing was uploaded: -allow-secret-file %s publishes it all the same", what, f.Pattern, f.Path)
	}
	return strings.Join(lines, "\n")
}

// BadInput marks the refusal as the user's to resolve.
func (e *SecretError) BadInput() bool { return true }

// checkSecrets refuses the files of b that would be published (those the
// binary embeds; with the source, every file of the archive) whose names,
// or for a link its target's, look like secrets, unless b.AllowSecrets
// names them.
func checkSecrets(b Build) error {
	published := b.Embedded
	if b.SourceDir != "" {
		published = b.SourceFiles
	}
	var found []SecretFile
	for _, f := range published {
		if slices.Contains(b.AllowSecrets, f) {
			continue
		}
		if p := SecretPattern(f); p != "" {
			found = append(found, SecretFile{Path: f, Pattern: p})
			continue
		}
		if b.SourceDir == "" {
			continue
		}
		// A link is archived as the file it leads to.
		abs := filepath.Join(b.SourceDir, filepath.FromSlash(f))
		if fi, err := os.Lstat(abs); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		target, err := filepath.EvalSymlinks(abs)
		if err != nil {
			continue // the archive refuses it
		}
		if p := SecretPattern(target); p != "" {
			rel := target
			if top, err := filepath.EvalSymlinks(b.SourceDir); err == nil {
				if r, err := filepath.Rel(top, target); err == nil {
					rel = filepath.ToSlash(r)
				}
			}
			found = append(found, SecretFile{Path: f, Pattern: p, Target: rel})
		}
	}
	if len(found) > 0 {
		return &SecretError{Files: found}
	}
	return nil
}
