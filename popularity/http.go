package popularity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Limits of ?limit= on GET /.
const (
	DefaultLimit = 25
	MaxLimit     = 1000
)

// UsersResponse is the body of GET /.
type UsersResponse struct {
	ServiceID string  `json:"service_id"`
	Version   string  `json:"version"`
	Instance  string  `json:"instance"`
	Index     int64   `json:"index"`    // this request's number in the process
	QueryMS   float64 `json:"query_ms"` // how long the query took
	Users     []User  `json:"users"`
}

// HealthResponse is the body of GET /health.
type HealthResponse struct {
	Status    string `json:"status"` // "OK" or "UNAVAILABLE"
	Error     string `json:"error,omitempty"`
	ServiceID string `json:"service_id"`
	Version   string `json:"version"`
	Instance  string `json:"instance"`
	Index     int64  `json:"index"`
}

// ErrorResponse is the body of every other answer that is not 200.
type ErrorResponse struct {
	Error string `json:"error"`
}

// Handler returns the service's HTTP handler: GET / and GET /health; HEAD
// works wherever GET does.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.route) }

// route sends a request to its endpoint, or answers 404 or 405 in JSON.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	var endpoint http.HandlerFunc
	switch r.URL.Path {
	case "/":
		endpoint = s.serveUsers
	case "/health":
		endpoint = s.serveHealth
	default:
		writeJSON(w, http.StatusNotFound, ErrorResponse{Error: fmt.Sprintf("no such path %q: try / or /health", r.URL.Path)})
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, ErrorResponse{Error: fmt.Sprintf("method %s not allowed: use GET or HEAD", r.Method)})
		return
	}
	endpoint(w, r)
}

// databaseUnavailable is what a caller is told when the database fails.
const databaseUnavailable = "database unavailable"

// serveUsers answers GET /, the most popular users, and logs the answer in
// one line at Info: msg "served", n (the requests to / this process has
// answered, 1, 2, 3, ...), the status and the time the request took.
func (s *Server) serveUsers(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status, body := s.users(w.Header(), r)
	writeJSON(w, status, body)
	s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "served",
		slog.Int64("n", s.served.Add(1)), slog.Int("status", status), slog.Duration("took", time.Since(start)))
}

// users works out the answer to GET /: its status and body. Headers of the
// answer beyond writeJSON's go into h.
func (s *Server) users(h http.Header, r *http.Request) (int, any) {
	index := s.index.Add(1)
	limit, err := parseLimit(r.URL.RawQuery)
	if err != nil {
		return http.StatusBadRequest, ErrorResponse{Error: err.Error()}
	}
	release, err := s.acquireSlot(r.Context())
	switch {
	case errors.Is(err, errBusy):
		s.Logger.Warn("busy: no database connection free within the wait", "index", index,
			"db_conns", s.DBConns, "wait", s.DBWait)
		// This instance may have a connection free in a second; another
		// instance may have one now, which is why the monolith tries again
		// at once.
		h.Set("Retry-After", "1")
		return http.StatusServiceUnavailable, ErrorResponse{Error: s.busyMessage()}
	case err != nil:
		s.Logger.Debug("request ended before a database connection was free", "index", index, "err", err)
		return http.StatusServiceUnavailable, ErrorResponse{Error: "canceled: the request ended while it waited for a database connection"}
	}
	defer release()
	ctx, cancel := context.WithTimeout(r.Context(), s.QueryTimeout)
	defer cancel()
	start := time.Now()
	users, err := s.topUsers(ctx, limit)
	took := time.Since(start)
	if err != nil {
		s.Logger.Error("top users query failed", "index", index, "limit", limit, "took", took, "err", err)
		// The details (socket path, host:port, MySQL user) go to the log,
		// not to whoever asked.
		return http.StatusServiceUnavailable, ErrorResponse{Error: databaseUnavailable}
	}
	if users == nil {
		users = []User{} // "users": [], never null
	}
	return http.StatusOK, UsersResponse{
		ServiceID: s.id.ServiceID,
		Version:   s.id.Version,
		Instance:  s.id.Instance,
		Index:     index,
		QueryMS:   float64(took) / float64(time.Millisecond),
		Users:     users,
	}
}

// serveHealth answers GET /health: OK only if the database answers a ping
// within HealthTimeout.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	resp := HealthResponse{
		Status:    "OK",
		ServiceID: s.id.ServiceID,
		Version:   s.id.Version,
		Instance:  s.id.Instance,
		Index:     s.index.Add(1),
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.HealthTimeout)
	defer cancel()
	ping := s.db.PingContext
	if s.HealthDB != nil {
		ping = s.HealthDB.PingContext
	}
	if err := ping(ctx); err != nil {
		s.Logger.Warn("health: database ping failed", "err", err)
		resp.Status, resp.Error = "UNAVAILABLE", databaseUnavailable
		writeJSON(w, http.StatusServiceUnavailable, resp)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// parseLimit reads ?limit= from a raw query string: DefaultLimit when absent,
// otherwise a decimal integer from 1 to MaxLimit given once.
func parseLimit(rawQuery string) (int, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return 0, fmt.Errorf("malformed query string: %w", err)
	}
	vals, ok := q["limit"]
	switch {
	case !ok:
		return DefaultLimit, nil
	case len(vals) > 1:
		return 0, errors.New("limit given more than once")
	}
	v := vals[0]
	n, err := strconv.Atoi(v)
	if err != nil || !isDigits(v) || n < 1 || n > MaxLimit {
		return 0, fmt.Errorf("limit must be a whole number from 1 to %d, got %q", MaxLimit, v)
	}
	return n, nil
}

// isDigits reports whether s is made of ASCII digits only (no sign, no space).
func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// writeJSON sends v as the JSON body of a response with the given status.
// A client that went away is not an error worth reporting.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
