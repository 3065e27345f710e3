package seed

import "testing"

// The INSERT statements quote text by doubling quotes only, which is right
// for any sql_mode as long as the text is ASCII without backslashes.
func TestGeneratedTextNeedsOnlyQuoteDoubling(t *testing.T) {
	d := generate(Small, 1)
	var texts []string
	for _, u := range d.users {
		texts = append(texts, u.name, u.about)
	}
	for _, s := range d.stories {
		texts = append(texts, s.shortID, s.title, s.url, s.description)
	}
	for _, c := range d.comments {
		texts = append(texts, c.text)
	}
	for _, s := range texts {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c == '\\' || c > '~' || (c < ' ' && c != '\n') {
				t.Fatalf("%q: byte %q at %d", s, c, i)
			}
		}
	}
}
