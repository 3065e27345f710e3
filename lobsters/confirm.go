package lobsters

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The confirmation of a personal version. A ?svctl-version=NAME link sets
// nothing by itself (a link clicked on another site must change nothing):
// it opens a page naming the version, its owner and when it expires, and
// only that page's own form, a POST carrying a per-visitor token, sets the
// choice. A developer can still share such a link with a teammate.
const (
	// confirmPath takes the confirmation form's POST.
	confirmPath = "/svctl-version"
	// visitorCookie identifies a browser to its forms' tokens.
	visitorCookie = "svctl-visitor"
	// maxFormBytes bounds the form's body.
	maxFormBytes = 4 << 10
)

// confirmView is the confirmation page's data.
type confirmView struct {
	Name, Owner string
	Expires     time.Time // zero: none
	Live        bool
	Action      string // confirmPath
	Return      string // the page to go back to, a local path
	Token       string
}

// confirmVersion answers the confirmation page of name, for r's page.
func (a *App) confirmVersion(w http.ResponseWriter, r *http.Request, name string) {
	v := confirmView{Name: name, Action: confirmPath, Return: withoutVersionParam(r.URL)}
	lv, live := a.live.lookup(name)
	status := http.StatusNotFound
	if live {
		status = http.StatusOK
		v.Live, v.Owner, v.Expires = true, lv.Owner, lv.Expires
		v.Token = a.formToken(a.visitor(w, r), name)
	}
	a.render(w, r, status, "confirm", view{Title: "Choose " + name, Body: v})
}

// chooseConfirmed is the confirmation form's POST: with the visitor's own
// token and a live version it sets the choice and goes back to the page;
// anything else changes nothing.
func (a *App) chooseConfirmed(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if !a.cfg.PersonalVersions {
		a.render(w, r, http.StatusNotFound, "error", view{Title: "Not found", Body: errorView{Status: 404, Heading: "Not found", Message: "Personal versions are off on this site."}})
		return
	}
	if err := r.ParseForm(); err != nil {
		a.render(w, r, http.StatusBadRequest, "error", view{Title: "Bad request", Body: errorView{Status: 400, Heading: "Bad request", Message: "The form could not be read: nothing was changed."}})
		return
	}
	name, token := r.PostForm.Get("name"), r.PostForm.Get("token")
	ck, err := r.Cookie(visitorCookie)
	if err != nil || ck.Value == "" || !hmac.Equal([]byte(token), []byte(a.formToken(ck.Value, name))) {
		a.render(w, r, http.StatusForbidden, "error", view{Title: "Not chosen", Body: errorView{Status: 403, Heading: "Not chosen",
			Message: "This choice did not come from this site's own confirmation page: nothing was changed."}})
		return
	}
	lv, live := a.live.lookup(name)
	if !live {
		a.render(w, r, http.StatusNotFound, "error", view{Title: "Not chosen", Body: errorView{Status: 404, Heading: "Not chosen",
			Message: shorten(name) + " is not a live private version: nothing was changed."}})
		return
	}
	age := versionCookieAge
	if !lv.Expires.IsZero() && time.Until(lv.Expires) < age {
		age = time.Until(lv.Expires)
	}
	http.SetCookie(w, versionCookieFor(r, name, max(1, int(age/time.Second))))
	http.Redirect(w, r, localPath(r.PostForm.Get("return")), http.StatusSeeOther)
}

// visitor is the browser's visitor id, its cookie set when it has none.
func (a *App) visitor(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(visitorCookie); err == nil && len(ck.Value) == 32 {
		return ck.Value
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	v := hex.EncodeToString(id)
	http.SetCookie(w, &http.Cookie{Name: visitorCookie, Value: v, Path: "/", MaxAge: int(versionCookieAge / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: overHTTPS(r)})
	return v
}

// formToken is the token of the visitor's form for name: an HMAC, keyed by
// the process's own secret, that no other site can compute.
func (a *App) formToken(visitor, name string) string {
	m := hmac.New(sha256.New, a.formKey)
	m.Write([]byte(visitor))
	m.Write([]byte{0})
	m.Write([]byte(name))
	return hex.EncodeToString(m.Sum(nil))
}

// withoutVersionParam is u's page, local, without ?svctl-version=.
func withoutVersionParam(u *url.URL) string {
	q := u.Query()
	q.Del(versionParam)
	if len(q) == 0 {
		return u.EscapedPath()
	}
	return u.EscapedPath() + "?" + q.Encode()
}

// localPath is p if it is a path of this site, else "/": the form's return
// never sends the reader to another site.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return "/"
	}
	if u, err := url.Parse(p); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return p
}
