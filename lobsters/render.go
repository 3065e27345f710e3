package lobsters

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageNames are the page templates; each is parsed together with the layout
// and the shared partials.
var pageNames = []string{"stories", "story", "user", "popular", "about", "error", "confirm"}

// view is what every page template gets.
type view struct {
	Title string // the <title>, before " | Lobsters"
	Nav   string // the nav link to mark as current: "home", "newest", "popular", "about"
	Body  any    // the page's own data
	// Personal is the version chosen in the browser, for the banner; render
	// fills it in from the request.
	Personal versionChoice
}

// templates holds the parsed pages, by name.
type templates map[string]*template.Template

// parseTemplates parses every page with the layout and partials.
func parseTemplates() (templates, error) {
	funcs := template.FuncMap{
		"ago":    func(t time.Time) string { return timeAgo(time.Now(), t) },
		"date":   func(t time.Time) string { return t.Format("2006-01-02") },
		"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"plural": plural,
		"domain": domain,
		"add":    func(a, b int) int { return a + b },
	}
	out := make(templates, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// render writes page name with status. The page is rendered into memory
// first, so a template failure never sends half a page.
func (a *App) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	var buf bytes.Buffer
	t, ok := a.tmpl[name]
	if !ok {
		a.log.Error("render page", "page", name, "path", r.URL.Path, "err", "no such template")
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	v.Personal = chosenVersion(r)
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		a.log.Error("render page", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// staticFiles serves the embedded stylesheet under /assets/.
func staticFiles() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(fmt.Sprintf("static files: %v", err)) // the embed pattern guarantees the folder
	}
	files := http.StripPrefix("/assets/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
