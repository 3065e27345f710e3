package popularity

import (
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Default deadlines of a Server.
const (
	DefaultQueryTimeout  = 30 * time.Second       // the query of one request to /
	DefaultHealthTimeout = 1 * time.Second        // the database ping of /health
	DefaultDBWait        = 500 * time.Millisecond // a request's wait for a query slot
)

// Server answers the service's HTTP requests from the Lobsters database.
// Set its exported fields before serving; they must not change afterwards.
type Server struct {
	// QueryTimeout is the deadline of a request's query, from the moment it
	// has a query slot.
	QueryTimeout  time.Duration
	HealthTimeout time.Duration // deadline of the database ping of /health
	// DBConns is the number of query slots: how many requests to / may be at
	// the database at once, the pool's connections (the bulkhead). Zero
	// means no bound: requests wait for the pool, as database/sql makes them.
	DBConns int
	// DBWait is the longest a request to / waits for a query slot; past it
	// the request is answered 503 busy. Zero or less: busy at once when no
	// slot is free.
	DBWait time.Duration
	// Logger is where failed queries, busy answers and the one "served"
	// line per request to / are logged.
	Logger *slog.Logger
	// HealthDB is the pool /health pings; nil means the query pool. Give it
	// connections of its own so that busy queries cannot starve the check.
	HealthDB *sql.DB

	db     *database
	id     Identity
	index  atomic.Int64 // requests to / and /health so far
	served atomic.Int64 // requests to / answered so far: the n of "served"

	slotsOnce sync.Once
	slots     chan struct{} // one element per query in flight; nil: no bound
}

// New returns a Server that reads db and answers as id, with one query slot
// per connection db may open. It does not touch the database: a database
// that is down makes /health report it, not New fail.
func New(db *sql.DB, id Identity) *Server {
	return &Server{
		QueryTimeout:  DefaultQueryTimeout,
		HealthTimeout: DefaultHealthTimeout,
		DBConns:       db.Stats().MaxOpenConnections,
		DBWait:        DefaultDBWait,
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
