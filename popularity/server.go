package popularity

import (
	"database/sql"
	"log/slog"
	"sync/atomic"
	"time"
)

// Default deadlines of a Server.
const (
	DefaultQueryTimeout  = 30 * time.Second // one request to /
	DefaultHealthTimeout = 1 * time.Second  // the database ping of /health
)

// Server answers the service's HTTP requests from the Lobsters database.
// Set its exported fields before serving; they must not change afterwards.
type Server struct {
	QueryTimeout  time.Duration // deadline of a request to /
	HealthTimeout time.Duration // deadline of the database ping of /health
	Logger        *slog.Logger  // where failed queries are logged
	// HealthDB is the pool /health pings; nil means the query pool. Give it
	// connections of its own so that busy queries cannot starve the check.
	HealthDB *sql.DB

	db    *database
	id    Identity
	index atomic.Int64 // requests to / and /health so far
}

// New returns a Server that reads db and answers as id. It does not touch the
// database: a database that is down makes /health report it, not New fail.
func New(db *sql.DB, id Identity) *Server {
	return &Server{
		QueryTimeout:  DefaultQueryTimeout,
		HealthTimeout: DefaultHealthTimeout,
		Logger:        slog.Default(),
		db:            &database{DB: db},
		id:            id,
	}
}

// Identity returns the identity the server answers with.
func (s *Server) Identity() Identity { return s.id }

// Close releases what the server prepared. The *sql.DB stays open: it belongs
// to the caller of New.
func (s *Server) Close() error { return s.db.close() }
