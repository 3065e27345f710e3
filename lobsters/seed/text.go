package seed

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// rnd is the one random source a seeding run draws from, in a fixed order, so
// that a seed always gives the same data.
type rnd struct{ *rand.Rand }

func newRnd(seed int64) rnd {
	return rnd{rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))}
}

// one returns a random element of list.
func (r rnd) one(list []string) string { return list[r.IntN(len(list))] }

// chance reports true with probability p.
func (r rnd) chance(p float64) bool { return r.Float64() < p }

// between returns a number in [lo, hi), or lo when the range is empty.
func (r rnd) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + r.Int64N(hi-lo)
}

// digits returns a random number below 10^n, for n from 1 to max, as text.
func (r rnd) digits(max int) string {
	hi := 1
	for range 1 + r.IntN(max) {
		hi *= 10
	}
	return strconv.Itoa(r.IntN(hi))
}

const (
	minUsername = 3
	maxUsername = 24
)

// username returns a lowercase [a-z0-9] name of 3 to 24 characters that is not
// in taken, and records it there.
func (r rnd) username(taken map[string]bool) string {
	name := r.usernameCandidate()
	for len(name) < minUsername {
		name += r.digits(2)
	}
	if len(name) > maxUsername {
		name = name[:maxUsername]
	}
	base := name
	for try := 0; taken[name]; try++ {
		suffix := r.digits(min(4+try/8, 12)) // longer suffixes once short ones run out
		stem := base
		if len(stem)+len(suffix) > maxUsername {
			stem = stem[:maxUsername-len(suffix)]
		}
		name = stem + suffix
	}
	taken[name] = true
	return name
}

func (r rnd) usernameCandidate() string {
	switch p := r.IntN(100); {
	case p < 30:
		return r.one(userAdjectives) + r.one(userNouns)
	case p < 50:
		return r.one(firstNames) + r.digits(4)
	case p < 65:
		return r.one(userNouns) + r.digits(3)
	case p < 75:
		return r.one(firstNames) + r.one(userNouns)
	case p < 85:
		return r.one(userAdjectives) + r.one(userNouns) + r.digits(2)
	case p < 95:
		return r.one(firstNames) + string(rune('a'+r.IntN(26)))
	default:
		return r.one(firstNames)
	}
}

// about returns a user's profile text.
func (r rnd) about(username string) string {
	switch r.IntN(5) {
	case 0:
		return "Mostly lurking. Interested in " + r.one(topics) + " and " + r.one(topics) + "."
	case 1:
		return r.one(roles) + " at " + r.one(places) + ". I write " + r.one(languages) +
			" and think too much about " + r.one(topics) + "."
	case 2:
		return r.one(roles) + ". Website: https://" + username + ".example.net"
	case 3:
		return "Working on " + article(r.one(titleAdjectives)) + " " + r.one(things) + " in " + r.one(languages) + "."
	default:
		return r.one(roles) + " at " + r.one(places) + "."
	}
}

// shortID returns a 6-character [a-z0-9] id that is not in taken, and records it.
func (r rnd) shortID(taken map[string]bool) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [6]byte
	for {
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		if id := string(b[:]); !taken[id] {
			taken[id] = true
			return id
		}
	}
}

// storyText returns a story's title and either its URL or, for a text post,
// its description (the other is empty).
func (r rnd) storyText() (title, url, description string) {
	if r.chance(0.06) {
		title = "Ask Lobsters: what " + r.one(things) + " do you use for " + r.one(topics) + "?"
		description = r.paragraph(2 + r.IntN(3))
		return title, "", description
	}
	title = r.title()
	return title, r.url(title), ""
}

func (r rnd) title() string {
	t := ""
	switch r.IntN(12) {
	case 0:
		t = capitalize(r.one(topics)) + " in " + r.one(languages)
	case 1:
		t = "Why " + r.one(topics) + " is " + r.one(titleAdjectives) + " after all"
	case 2:
		t = "Show Lobsters: " + r.one(userNouns) + ", " + article(r.one(titleAdjectives)) + " " + r.one(things) + " written in " + r.one(languages)
	case 3:
		t = r.one(languages) + " " + strconv.Itoa(1+r.IntN(4)) + "." + strconv.Itoa(r.IntN(30)) + " released"
	case 4:
		t = capitalize(article(r.one(titleAdjectives))) + " introduction to " + r.one(topics)
	case 5:
		t = "Notes on " + r.one(topics)
	case 6:
		t = "How we " + r.one(pastVerbs) + " our " + r.one(things) + " with " + r.one(languages)
	case 7:
		t = "The " + r.one(titleAdjectives) + " history of " + r.one(topics)
	case 8:
		t = strconv.Itoa(3+r.IntN(18)) + " things I learned about " + r.one(topics)
	case 9:
		t = "Building " + article(r.one(things)) + " in " + r.one(languages) + " from scratch"
	case 10:
		t = capitalize(r.one(topics)) + ": a retrospective"
	default:
		t = "Understanding " + r.one(topics)
	}
	if r.chance(0.15) {
		t += " (" + strconv.Itoa(1975+r.IntN(50)) + ")"
	}
	return t
}

// url returns a link on an example domain whose path is made from title.
func (r rnd) url(title string) string {
	host := "https://" + r.one(domains)
	slug := slugify(title)
	switch r.IntN(4) {
	case 0:
		return host + "/" + strconv.Itoa(2015+r.IntN(11)) + "/" + twoDigits(1+r.IntN(12)) + "/" + slug
	case 1:
		return host + "/posts/" + slug
	case 2:
		return host + "/~" + r.one(userNouns) + "/" + slug + ".html"
	default:
		return host + "/p/" + strconv.Itoa(1000+r.IntN(90000))
	}
}

// comment returns a comment's text: one to four sentences, sometimes split
// into two paragraphs.
func (r rnd) comment() string {
	n := 1 + r.IntN(4)
	if n >= 3 && r.chance(0.3) {
		return r.paragraph(n/2) + "\n\n" + r.paragraph(n-n/2)
	}
	return r.paragraph(n)
}

func (r rnd) paragraph(sentences int) string {
	var b strings.Builder
	for i := range sentences {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(r.sentence())
	}
	return b.String()
}

func (r rnd) sentence() string {
	switch r.IntN(14) {
	case 0:
		return "I've been using " + r.one(languages) + " for " + strconv.Itoa(2+r.IntN(15)) + " years and " + r.one(opinions) + "."
	case 1:
		return "This matches my experience with " + r.one(topics) + "."
	case 2:
		return "Does anyone know how this compares to " + r.one(topics) + " in " + r.one(languages) + "?"
	case 3:
		return "The part about " + r.one(topics) + " is " + r.one(titleAdjectives) + ", but I'm not convinced by the benchmarks."
	case 4:
		return "Great write-up, thanks for sharing."
	case 5:
		return "I disagree: " + r.one(topics) + " is mostly a solved problem."
	case 6:
		return "We tried something similar at work with " + article(r.one(things)) + " and it was " + r.one(titleAdjectives) + "."
	case 7:
		return "Minor nit: the second example has a typo."
	case 8:
		return "Is there a version of this that doesn't need JavaScript?"
	case 9:
		return "I wrote " + article(r.one(titleAdjectives)) + " " + r.one(things) + " in " + r.one(languages) + " once; never again."
	case 10:
		return "The real problem is " + r.one(topics) + ", not " + r.one(topics) + "."
	case 11:
		return "This is why I keep coming back to " + r.one(languages) + "."
	case 12:
		return "Fun fact: " + r.one(topics) + " was a hot topic back in " + strconv.Itoa(1970+r.IntN(50)) + "."
	default:
		return "Previous discussion is worth reading too, it covers " + r.one(topics) + " in more depth."
	}
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// article puts "a" or "an" before word.
func article(word string) string {
	if word != "" && strings.IndexByte("aeiouAEIOU", word[0]) >= 0 {
		return "an " + word
	}
	return "a " + word
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// slugify turns a title into a lowercase URL path segment of at most 80 bytes.
func slugify(title string) string {
	b := make([]byte, 0, len(title))
	dash := false
	for i := 0; i < len(title) && len(b) < 80; i++ {
		c := title[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
			fallthrough
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			if dash && len(b) > 0 {
				b = append(b, '-')
			}
			b = append(b, c)
			dash = false
		default:
			dash = true
		}
	}
	return string(b)
}
