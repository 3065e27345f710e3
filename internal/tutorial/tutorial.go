// Package tutorial makes the README tutorial's edit, step 5: in
// popularity/users.go the inefficient query goes in and the efficient one
// out, by moving the "//" from the first of the two lines to the second.
// The mesh lab, the end-to-end tests and the service's own tests make the
// slow version with it.
package tutorial

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// UsersFile is the file the tutorial edits, relative to the repository.
const UsersFile = "popularity/users.go"

// The tutorial's two lines, as users.go has them before the edit.
const (
	EfficientLine   = "\tusers, err := efficientQuery(ctx, db, limit)"
	InefficientLine = "\tusers, err := inefficientQuery(ctx, db, limit)"
	commentedOut    = "\t//"
)

// before and after are the two lines before and after the edit.
var (
	before = commentedOut + InefficientLine[1:] + "\n" + EfficientLine + "\n"
	after  = InefficientLine + "\n" + commentedOut + EfficientLine[1:] + "\n"
)

// MakeSlow returns the source of users.go with the tutorial's edit made.
// It fails if src does not hold the two lines as the README describes them.
func MakeSlow(src string) (string, error) {
	if strings.Count(src, before) != 1 {
		return "", fmt.Errorf("%s does not have the tutorial's two lines as the README describes them:\n%s", UsersFile, before)
	}
	return strings.Replace(src, before, after, 1), nil
}

// MakeSlowIn makes the tutorial's edit in the tree at root.
func MakeSlowIn(root string) error {
	path := filepath.Join(root, UsersFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("the tutorial's edit: %w", err)
	}
	slow, err := MakeSlow(string(b))
	if err != nil {
		return fmt.Errorf("the tutorial's edit: %w", err)
	}
	if err := os.WriteFile(path, []byte(slow), 0o644); err != nil {
		return fmt.Errorf("the tutorial's edit: %w", err)
	}
	return nil
}
