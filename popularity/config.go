package popularity

import (
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"microwizard/internal/demodb"
)

// Defaults of a Config.
const (
	DefaultDSN             = demodb.DSN
	DefaultAddr            = "127.0.0.1:5000"
	DefaultShutdownTimeout = 30 * time.Second
)

// DefaultDBConns is the service's share of the database: the connections
// its queries may hold at once (its /health has one of its own). One is the
// bulkhead that keeps a slow version harmless to the rest of the site on a
// 2-core machine: whatever it runs, it keeps at most one database thread (and
// its own loop) busy, so the other core stays the site's. Measured with four
// inefficientQuery loops in flight, a front-page query's p99 stayed at its
// idle figure with one connection and tripled with two; the slow version's
// own requests wait instead (README, Benchmarks), for DefaultDBWait at most
// (POPULARITY_DB_WAIT): past it they are answered 503 busy.
const DefaultDBConns = 1

// The connection pool is recycled, so a restarted database is picked up
// again.
const (
	connMaxLifetime = 5 * time.Minute
	connMaxIdleTime = 1 * time.Minute
)

// Config is how one process of the service is set up.
type Config struct {
	DSN             string        // LOBSTERS_DSN, or the content of LOBSTERS_DSN_FILE: go-sql-driver/mysql DSN of the Lobsters database
	Addr            string        // POPULARITY_ADDR: listen address
	RequestTimeout  time.Duration // POPULARITY_REQUEST_TIMEOUT: deadline of the query of a request to /
	HealthTimeout   time.Duration // POPULARITY_HEALTH_TIMEOUT: deadline of the /health ping
	ShutdownTimeout time.Duration // POPULARITY_SHUTDOWN_TIMEOUT: wait for in-flight requests on shutdown
	DBConns         int           // POPULARITY_DB_CONNS: connections the queries may hold at once
	DBWait          time.Duration // POPULARITY_DB_WAIT: longest a request to / waits for one of them
	LogLevel        slog.Level    // POPULARITY_LOG_LEVEL: debug, info, warn or error
	Version         string        // SERVICE_VERSION: deploy name, e.g. "lobpop_v1"
	Instance        string        // SERVICE_INSTANCE, else NOMAD_ALLOC_ID, else the host name
}

// ConfigFromEnv reads a Config from the environment through getenv (os.Getenv
// in production), using the defaults for what is unset.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	dsn, err := demodb.FromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		DSN:      or(dsn, DefaultDSN),
		Addr:     or(getenv("POPULARITY_ADDR"), DefaultAddr),
		Version:  getenv("SERVICE_VERSION"),
		Instance: or(getenv("SERVICE_INSTANCE"), getenv("NOMAD_ALLOC_ID"), hostname()),
	}
	if _, err := mysql.ParseDSN(cfg.DSN); err != nil {
		return Config{}, fmt.Errorf("LOBSTERS_DSN: %w", err)
	}
	cfg.DBConns = DefaultDBConns
	if v := getenv("POPULARITY_DB_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return Config{}, fmt.Errorf("POPULARITY_DB_CONNS: want a number of connections, at least 1, got %q", v)
		}
		cfg.DBConns = n
	}
	for _, d := range []struct {
		env  string
		dst  *time.Duration
		dflt time.Duration
	}{
		{"POPULARITY_REQUEST_TIMEOUT", &cfg.RequestTimeout, DefaultQueryTimeout},
		{"POPULARITY_HEALTH_TIMEOUT", &cfg.HealthTimeout, DefaultHealthTimeout},
		{"POPULARITY_SHUTDOWN_TIMEOUT", &cfg.ShutdownTimeout, DefaultShutdownTimeout},
		{"POPULARITY_DB_WAIT", &cfg.DBWait, DefaultDBWait},
	} {
		v, err := durationEnv(getenv, d.env, d.dflt)
		if err != nil {
			return Config{}, err
		}
		*d.dst = v
	}
	level, err := parseLogLevel(getenv("POPULARITY_LOG_LEVEL"))
	if err != nil {
		return Config{}, fmt.Errorf("POPULARITY_LOG_LEVEL: %w", err)
	}
	cfg.LogLevel = level
	return cfg, nil
}

// logLevels are the values of POPULARITY_LOG_LEVEL.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

// parseLogLevel reads a log level by name, in any case; empty is info. At
// warn and above the "served" line of each request is off.
func parseLogLevel(v string) (slog.Level, error) {
	if v == "" {
		return slog.LevelInfo, nil
	}
	level, ok := logLevels[strings.ToLower(v)]
	if !ok {
		return 0, fmt.Errorf("want debug, info, warn or error, got %q", v)
	}
	return level, nil
}

// Identity returns a new identity for this process with the configured
// version and instance.
func (c Config) Identity() Identity { return NewIdentity(c.Version, c.Instance) }

// OpenDB opens a connection pool for dsn bounded to conns connections. It
// does not connect: the first query or ping does.
func OpenDB(dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(connMaxLifetime)
	db.SetConnMaxIdleTime(connMaxIdleTime)
	return db, nil
}

// durationEnv reads a positive Go duration ("30s", "1m") from env, or dflt
// when it is unset.
func durationEnv(getenv func(string) string, env string, dflt time.Duration) (time.Duration, error) {
	v := getenv(env)
	if v == "" {
		return dflt, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", env, err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s: must be positive, got %s", env, v)
	}
	return d, nil
}

// or returns the first non-empty string.
func or(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// hostname returns the host name, or "unknown" when it cannot be read.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
}
