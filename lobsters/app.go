package lobsters

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
)

// App is the monolith: its pages, its database queries and its client for the
// popularity service. Make one with New; it is safe for concurrent use.
type App struct {
	cfg   Config
	db    *sql.DB
	store *store
	pop   *popularityClient
	tmpl  templates
	log   *slog.Logger
	mux   *http.ServeMux
	// live: the live private versions a reader may choose (nil with
	// personal routing off); formKey signs the confirmation forms.
	live    *liveVersions
	formKey []byte
}

// New prepares the database queries, parses the templates and builds the
// shared popularity client. The caller owns db (and bounds its pool; see
// ConfigurePool). log may be nil to discard logs.
func New(ctx context.Context, db *sql.DB, cfg Config, log *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	a := &App{cfg: cfg, db: db, store: st, pop: newPopularityClient(cfg), tmpl: tmpl, log: log, formKey: make([]byte, 32)}
	if _, err := rand.Read(a.formKey); err != nil {
		return nil, fmt.Errorf("make the forms' key: %w", err)
	}
	if cfg.PersonalVersions {
		a.live = newLiveVersions(cfg.VersionsFile, log)
	}
	a.mux = a.routes()
	return a, nil
}

// routes maps the site's URLs to their pages. Only /popular calls the
// popularity service.
func (a *App) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.Handle("GET /{$}", a.page(a.hottest))
	m.Handle("GET /newest", a.page(a.newest))
	m.Handle("GET /s/{short_id}", a.page(a.story))
	m.Handle("GET /s/{short_id}/{slug}", a.page(a.story))
	m.Handle("GET /u/{username}", a.page(a.user))
	m.Handle("GET /popular", a.page(a.popular))
	m.Handle("GET /about", a.page(a.about))
	m.Handle("POST "+confirmPath, http.HandlerFunc(a.chooseConfirmed))
	m.Handle("GET /health", http.HandlerFunc(a.health))
	m.Handle("GET /assets/", staticFiles())
	m.Handle("/", a.page(func(http.ResponseWriter, *http.Request) error {
		return notFound("There is nothing at this address.")
	}))
	return m
}

// Handler returns the monolith's HTTP handler, logging each request when
// Config.AccessLog is set.
func (a *App) Handler() http.Handler {
	if a.cfg.AccessLog {
		return accessLog(a.log, a.mux)
	}
	return a.mux
}

// Close releases the prepared statements and idle connections to the
// service. It does not close the database, which the caller owns.
func (a *App) Close() error {
	a.store.close()
	a.pop.close()
	return nil
}

// health answers 200 while the database answers; it never calls the
// popularity service.
func (a *App) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.DBTimeout)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := a.db.PingContext(ctx); err != nil {
		a.log.Warn("health check: database unavailable", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unavailable\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}
