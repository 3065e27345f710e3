package request

// A deployment name is what a user types after the service in
// `svctl run SERVICE NAME`; it ends up in Nomad job names, Consul tags, file
// names and log lines, so it is kept to a small, safe alphabet:
//
//   - 3 to 40 characters long;
//   - only ASCII letters, digits, '_' and '-';
//   - the first character is a letter or a digit (so a name can never be
//     mistaken for a command-line option, and never starts with '_').

import (
	"fmt"
	"unicode/utf8"
)

// Length limits of a deployment name, in characters.
const (
	MinNameLen = 3
	MaxNameLen = 40
)

// allowed is the user-facing description of the rule, appended to every error.
const allowed = "use 3 to 40 characters: ASCII letters, digits, '_' and '-', starting with a letter or digit"

// ValidateName reports whether name is a valid deployment name. The error, meant
// for the user, quotes the name and says what is allowed.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("deployment name %q is empty; %s", name, allowed)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("deployment name %q is not valid UTF-8; %s", name, allowed)
	}
	for _, r := range name {
		if !isNameChar(r) {
			return fmt.Errorf("deployment name %q contains %q, which is not allowed; %s", name, r, allowed)
		}
	}
	// Every byte is now an ASCII character, so len counts characters.
	if !isLetterOrDigit(rune(name[0])) {
		return fmt.Errorf("deployment name %q starts with %q; %s", name, name[0], allowed)
	}
	if len(name) < MinNameLen {
		return fmt.Errorf("deployment name %q is too short (%d characters); %s", name, len(name), allowed)
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("deployment name %q is too long (%d characters); %s", name, len(name), allowed)
	}
	return nil
}

func isNameChar(r rune) bool {
	return isLetterOrDigit(r) || r == '_' || r == '-'
}

func isLetterOrDigit(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}
