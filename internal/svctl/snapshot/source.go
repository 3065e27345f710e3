package snapshot

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind says where a snapshot's files come from.
type Kind int

const (
	// Ref is a git ref or commit (a branch, a tag, "HEAD", a commit hash of
	// at least 8 hex digits): its committed tree is exported with git archive.
	// It is the zero Kind, so the zero Source means HEAD.
	Ref Kind = iota
	// UncommittedCopy ("UNCOMMITTED_COPY") is the working tree as it is now,
	// uncommitted edits and untracked files included, copied to a new
	// directory: later edits do not reach the copy.
	UncommittedCopy
	// Uncommitted ("UNCOMMITTED") is the live working tree itself, used in
	// place: nothing is copied.
	Uncommitted
)

// The words a user types for the two uncommitted kinds.
const (
	uncommittedCopyWord = "UNCOMMITTED_COPY"
	uncommittedWord     = "UNCOMMITTED"
)

// String returns "UNCOMMITTED_COPY", "UNCOMMITTED" or "ref".
func (k Kind) String() string {
	switch k {
	case Ref:
		return "ref"
	case UncommittedCopy:
		return uncommittedCopyWord
	case Uncommitted:
		return uncommittedWord
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Source is what a snapshot is taken of, as the user gave it.
type Source struct {
	Kind Kind
	// Ref is the git ref or commit as typed, for Kind Ref; "" means HEAD.
	Ref string
}

// String returns the source as the user typed it: "UNCOMMITTED_COPY",
// "UNCOMMITTED", or the ref ("" for the default, HEAD).
// ParseSource(s.String()) gives s back.
func (s Source) String() string {
	switch s.Kind {
	case UncommittedCopy:
		return uncommittedCopyWord
	case Uncommitted:
		return uncommittedWord
	}
	return s.Ref
}

// Rev returns the git revision Take resolves for a Ref source: Ref, or
// "HEAD" when Ref is empty. It returns "" for the uncommitted kinds.
func (s Source) Rev() string {
	switch {
	case s.Kind != Ref:
		return ""
	case s.Ref == "":
		return "HEAD"
	}
	return s.Ref
}

// ParseSource reads the SOURCE argument of `svctl run`: "" means HEAD,
// "UNCOMMITTED_COPY" and "UNCOMMITTED" (exactly, in capitals) the working
// tree, and anything else a git ref or commit, checked by CheckRef. Whether
// the ref exists is only known to Take.
func ParseSource(s string) (Source, error) {
	switch s {
	case "":
		return Source{Kind: Ref}, nil
	case uncommittedCopyWord:
		return Source{Kind: UncommittedCopy}, nil
	case uncommittedWord:
		return Source{Kind: Uncommitted}, nil
	}
	if err := CheckRef(s); err != nil {
		return Source{}, err
	}
	return Source{Kind: Ref, Ref: s}, nil
}

// maxRefLen bounds a ref name; git has no limit of its own, but nobody types
// a longer one.
const maxRefLen = 256

// refHelp ends every refusal of a ref.
const refHelp = "give a branch, a tag, HEAD, a commit hash (at least 8 hex digits), UNCOMMITTED_COPY or UNCOMMITTED"

// CheckRef reports whether ref is a name Take may hand to git: it follows
// the rules of `git check-ref-format --allow-onelevel` and also refuses a
// leading "-" (it would read as an option), whitespace and control
// characters, names longer than 256 bytes, and commit abbreviations of 4 to 7
// hex digits (too short to stay unambiguous; the original svrun asked for 8).
// Revision expressions such as HEAD~1 or main^ are refused too: "~" and "^"
// are not allowed in ref names.
func CheckRef(ref string) error {
	if err := checkRef(ref); err != nil {
		return fmt.Errorf("source %q: %w; %s", ref, err, refHelp)
	}
	return nil
}

func checkRef(ref string) error {
	switch {
	case ref == "":
		return errors.New("empty git ref")
	case len(ref) > maxRefLen:
		return fmt.Errorf("longer than %d bytes", maxRefLen)
	case !utf8.ValidString(ref):
		return errors.New("not valid UTF-8")
	case ref[0] == '-':
		return errors.New(`starts with "-" (git would read it as an option)`)
	case ref == "@":
		return errors.New(`"@" alone is not a ref name git accepts`)
	case isHex(ref) && len(ref) >= 4 && len(ref) < 8:
		return fmt.Errorf("commit abbreviation of %d hex digits is too short, use at least 8", len(ref))
	}
	for _, r := range ref {
		switch {
		case unicode.IsSpace(r):
			return fmt.Errorf("contains the space character %q", r)
		case unicode.IsControl(r):
			return fmt.Errorf("contains the control character %q", r)
		case unicode.Is(unicode.Cf, r):
			// Bidirectional overrides, zero-width joiners...: they make a
			// name print as another.
			return fmt.Errorf("contains the invisible formatting character %U, which can make one name look like another", r)
		case strings.ContainsRune(`~^:?*[\`, r):
			return fmt.Errorf("contains %q, which git does not allow in a ref name", r)
		}
	}
	switch {
	case strings.Contains(ref, ".."):
		return errors.New(`contains "..", which git does not allow in a ref name`)
	case strings.Contains(ref, "@{"):
		return errors.New(`contains "@{", which git does not allow in a ref name`)
	case strings.HasPrefix(ref, "/") || strings.HasSuffix(ref, "/") || strings.Contains(ref, "//"):
		return errors.New(`has an empty path component ("/" at the start or end, or "//")`)
	case strings.HasSuffix(ref, "."):
		return errors.New(`ends with "."`)
	}
	for part := range strings.SplitSeq(ref, "/") {
		if strings.HasPrefix(part, ".") {
			return fmt.Errorf("component %q starts with \".\"", part)
		}
		if strings.HasSuffix(part, ".lock") {
			return fmt.Errorf("component %q ends with \".lock\"", part)
		}
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
