package lobsters

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"microwizard/internal/personal"
)

// versionParam is the query parameter that chooses a personal version in a
// browser, on any page: ?svctl-version=NAME chooses NAME, ?svctl-version=
// chooses none again.
const versionParam = personal.Member

// versionCookie keeps the chosen version for the following pages.
const versionCookie = personal.Member

// versionCookieAge is how long a browser keeps its chosen version: a working
// day, so a forgotten choice ends by itself. It is a persistent cookie, not a
// session one, so it survives a browser restart during that day.
const versionCookieAge = 24 * time.Hour

// maxShownName bounds how much of an invalid ?svctl-version= value the page
// quotes back.
const maxShownName = 64

// baggageKey is personal.Header in its canonical form, so reading and
// writing the header allocates nothing for the key.
var baggageKey = http.CanonicalHeaderKey(personal.Header)

// versionChoice is the personal version a reader chose in the browser, with
// ?svctl-version=NAME or the cookie that keeps it. Every page shows it.
type versionChoice struct {
	Version  string // the chosen version, "" for none
	ClearURL string // this page with ?svctl-version=, which clears the choice
	Notice   string // why a ?svctl-version= value was ignored, if one was
}

// versionChoiceKey is the request context key of the versionChoice.
type versionChoiceKey struct{}

// chooseVersion applies the reader's choice of version: ?svctl-version=NAME
// sets the cookie and chooses NAME, ?svctl-version= clears it and chooses
// none, an invalid value changes nothing and is noticed; without the
// parameter the cookie's valid value is chosen. It returns r, carrying the
// choice in its context when there is one.
func chooseVersion(w http.ResponseWriter, r *http.Request) *http.Request {
	var c versionChoice
	if r.URL.RawQuery != "" {
		if names, ok := r.URL.Query()[versionParam]; ok {
			switch name := names[0]; {
			case name == "":
				http.SetCookie(w, versionCookieFor("", -1))
				return r // chosen none, whatever the cookie said
			case personal.ValidName(name):
				http.SetCookie(w, versionCookieFor(name, int(versionCookieAge/time.Second)))
				c.Version = name
			default:
				c.Notice = fmt.Sprintf("%s %q is not a version name: ignored", versionParam, shorten(name))
			}
		}
	}
	if c.Version == "" {
		if ck, err := r.Cookie(versionCookie); err == nil && personal.ValidName(ck.Value) {
			c.Version = ck.Value
		}
	}
	if c == (versionChoice{}) {
		return r
	}
	if c.Version != "" {
		c.ClearURL = clearVersionURL(r.URL)
	}
	return r.WithContext(context.WithValue(r.Context(), versionChoiceKey{}, c))
}

// versionCookieFor is the cookie that keeps name for maxAge seconds (a
// negative maxAge deletes it).
func versionCookieFor(name string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: versionCookie, Value: name, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// clearVersionURL is u's page with ?svctl-version=, its other parameters
// kept.
func clearVersionURL(u *url.URL) string {
	q := u.Query()
	q.Set(versionParam, "")
	return u.EscapedPath() + "?" + q.Encode()
}

// shorten cuts a value quoted back to the reader to maxShownName bytes.
func shorten(s string) string {
	if len(s) <= maxShownName {
		return s
	}
	return strings.ToValidUTF8(s[:maxShownName], "") + "…"
}

// chosenVersion is the version chosen in the browser for r, if any.
func chosenVersion(r *http.Request) versionChoice {
	c, _ := r.Context().Value(versionChoiceKey{}).(versionChoice)
	return c
}

// serviceBaggage returns the version r asks the popularity service for (the
// one chosen in the browser, else the one its own baggage names) and the
// baggage to send on: r's valid baggage with that version as its member.
// With neither baggage nor a choice both are "" and nothing is computed.
func serviceBaggage(r *http.Request) (version, baggage string) {
	values := r.Header.Values(baggageKey)
	version = chosenVersion(r).Version
	if len(values) == 0 && version == "" {
		return "", ""
	}
	return personal.Forward(values, version)
}
