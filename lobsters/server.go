package lobsters

import (
	"database/sql"
	"log/slog"
	"net/http"
	"time"
)

// Pool bounds for the database, as ConfigurePool sets them.
const (
	MaxOpenConns    = 20
	MaxIdleConns    = 10
	ConnMaxLifetime = 5 * time.Minute
	ConnMaxIdleTime = time.Minute
)

// ConfigurePool bounds a database pool for the monolith: pages wait for a
// free connection rather than opening without limit.
func ConfigurePool(db *sql.DB) {
	db.SetMaxOpenConns(MaxOpenConns)
	db.SetMaxIdleConns(MaxIdleConns)
	db.SetConnMaxLifetime(ConnMaxLifetime)
	db.SetConnMaxIdleTime(ConnMaxIdleTime)
}

// writeSlack is how long the server gives a page beyond the upstream
// timeout to finish writing.
const writeSlack = 10 * time.Second

// NewServer returns the HTTP server for handler. Its WriteTimeout outlasts
// the popularity timeout, so a slow service makes /popular slow, never cut off.
func NewServer(cfg Config, handler http.Handler, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Addr:              cfg.Addr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.PopularityTimeout + cfg.DBTimeout + writeSlack,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// accessLog logs one line per request: method, path, status and duration.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.Info("request", "method", r.Method, "path", r.URL.RequestURI(), "status", rec.status,
			"duration_ms", milliseconds(time.Since(start)))
	})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
