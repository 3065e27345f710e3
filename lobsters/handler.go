package lobsters

import (
	"context"
	"errors"
	"net/http"
)

// pageFunc renders a page or returns the error to show instead.
type pageFunc func(w http.ResponseWriter, r *http.Request) error

// page adapts a pageFunc: it applies the reader's choice of a personal
// version (chooseVersion; a ?svctl-version=NAME link answers its confirmation page instead), an error becomes the friendly error page, and an
// unexpected one is logged once, with the request it failed.
func (a *App) page(f pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = a.chooseVersion(w, r)
		if name := chosenVersion(r).Confirm; name != "" {
			a.confirmVersion(w, r, name)
			return
		}
		if err := f(w, r); err != nil {
			a.fail(w, r, err)
		}
	})
}

// errorView is the body of the error page.
type errorView struct {
	Status  int
	Heading string
	Message string
}

// fail shows err to the reader; details of an internal error go to the log.
func (a *App) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := errorCode(err)
	if code == EInternal {
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			a.log.Debug("request canceled by the client", "method", r.Method, "path", r.URL.Path)
			return // nobody is there to read a page
		}
		a.log.Error("page failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	v := errorView{Status: code.status(), Heading: "Internal error", Message: errorMessage(err)}
	if code == ENotFound {
		v.Heading = "Not found"
	}
	a.render(w, r, v.Status, "error", view{Title: v.Heading, Body: v})
}

// dbContext bounds the database work of one page by Config.DBTimeout.
func (a *App) dbContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), a.cfg.DBTimeout)
}
