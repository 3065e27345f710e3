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

// versionParam is the query parameter that asks for a personal version in
// a browser, on any page: ?svctl-version=NAME opens the confirmation page
// that chooses NAME, ?svctl-version= chooses none again.
const versionParam = personal.Member

// versionCookie keeps the chosen version for the following pages.
const versionCookie = personal.Member

// versionCookieAge is how long a browser keeps its chosen version at most
// (less when the version expires sooner): a working day, so a forgotten
// choice ends by itself. It is a persistent cookie, not a
// session one, so it survives a browser restart during that day.
const versionCookieAge = 24 * time.Hour

// maxShownName bounds how much of an invalid ?svctl-version= value the page
// quotes back.
const maxShownName = 64

// baggageKey is personal.Header in its canonical form, so reading and
// writing the header allocates nothing for the key.
var baggageKey = http.CanonicalHeaderKey(personal.Header)

// versionChoice is the personal version a reader chose in the browser, on
// the confirmation page of a ?svctl-version=NAME link, kept by a cookie.
// Every page shows it.
type versionChoice struct {
	Version  string // the chosen version, "" for none
	ClearURL string // this page with ?svctl-version=, which clears the choice
	Notice   string // why a ?svctl-version= value was ignored, if one was
	// Confirm is the version a ?svctl-version=NAME link asks to choose:
	// the page answers the confirmation page instead (confirm.go).
	Confirm string
}

// versionChoiceKey is the request context key of the versionChoice.
type versionChoiceKey struct{}

// chooseVersion reads the reader's choice of version. With personal
// routing off (the default) there is none, whatever the request says. On:
// ?svctl-version= clears the cookie and chooses none; ?svctl-version=NAME
// asks for the confirmation page (a link sets nothing by itself); an
// invalid value changes nothing and is noticed; without the parameter the
// cookie's version is chosen while it is live. It returns r, carrying the
// choice in its context when there is one.
func (a *App) chooseVersion(w http.ResponseWriter, r *http.Request) *http.Request {
	if !a.cfg.PersonalVersions {
		return r
	}
	var c versionChoice
	if r.URL.RawQuery != "" {
		if names, ok := r.URL.Query()[versionParam]; ok {
			switch name := names[0]; {
			case name == "":
				http.SetCookie(w, versionCookieFor(r, "", -1))
				return r // chosen none, whatever the cookie said
			case personal.ValidName(name):
				c.Confirm = name
			default:
				c.Notice = fmt.Sprintf("%s %q is not a version name: ignored", versionParam, shorten(name))
			}
		}
	}
	if ck, err := r.Cookie(versionCookie); err == nil && ck.Value != "" {
		if _, live := a.live.lookup(ck.Value); live {
			c.Version = ck.Value
		} else {
			http.SetCookie(w, versionCookieFor(r, "", -1)) // no longer a live private version
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
// negative maxAge deletes it): sent only to this site's own pages
// (SameSite=Strict), never to scripts, and only over HTTPS when the reader
// came over HTTPS.
func versionCookieFor(r *http.Request, name string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: versionCookie, Value: name, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: overHTTPS(r)}
}

// overHTTPS reports whether the reader's request came over HTTPS: to this
// server, or to a proxy in front of it that says so.
func overHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
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

// serviceBaggage returns the version r asks the popularity service for and
// the baggage to send on. Only a live private version is ever asked for:
// the one chosen in the browser, else the one the request's own baggage
// names if it is live; and only its member goes on, never another member
// of an outsider's baggage. With personal routing off, or nothing
// accepted, both are "" and nothing is sent.
func (a *App) serviceBaggage(r *http.Request) (version, baggage string) {
	if !a.cfg.PersonalVersions {
		return "", ""
	}
	version = chosenVersion(r).Version
	if version == "" {
		values := r.Header.Values(baggageKey)
		if len(values) == 0 {
			return "", ""
		}
		if _, live := a.live.lookup(personal.Version(values)); !live {
			return "", ""
		}
		version = personal.Version(values)
	}
	return version, personal.WithVersion(nil, version)
}
