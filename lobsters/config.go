package lobsters

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"microwizard/internal/demodb"
)

// Defaults for Config, as LoadConfig applies them.
const (
	DefaultAddr              = "127.0.0.1:3000"
	DefaultDSN               = demodb.DSN
	DefaultPopularityURL     = "http://127.0.0.1:8000/"
	DefaultPopularityTimeout = 20 * time.Second
	DefaultDBTimeout         = 5 * time.Second
)

// Config is what the monolith needs to know about its surroundings.
type Config struct {
	// Addr is where the web server listens (LOBSTERS_ADDR).
	Addr string
	// DSN reaches the Lobsters database (LOBSTERS_DSN).
	DSN string
	// PopularityURL is fetched with GET for /popular (POPULARITY_URL).
	PopularityURL string
	// PopularityTimeout bounds one call to the popularity service, from
	// connecting to the last byte of its answer (POPULARITY_TIMEOUT, a Go
	// duration). It must outlast the slow service version.
	PopularityTimeout time.Duration
	// PopularityKeepAlive reuses connections to the service. Behind an L4
	// proxy that picks an instance per TCP connection it must be off, or one
	// instance gets every request (POPULARITY_KEEPALIVE=false).
	PopularityKeepAlive bool
	// DBTimeout is the deadline for the database work of one page.
	DBTimeout time.Duration
	// AccessLog logs one line per request when set.
	AccessLog bool
	// PersonalVersions turns personal routing on (LOBSTERS_PERSONAL_VERSIONS
	// =on): a reader's live private version, chosen on the confirmation page
	// of a ?svctl-version= link or named in the request's baggage, answers
	// their /popular. Off (the default, a public edge): an incoming
	// svctl-version is dropped, never forwarded.
	PersonalVersions bool
	// VersionsFile lists the live private versions, the only ones a reader
	// may choose (LOBSTERS_VERSIONS_FILE; see liveversions.go). Required
	// with PersonalVersions.
	VersionsFile string
}

// DefaultConfig returns the configuration used when nothing is set.
func DefaultConfig() Config {
	return Config{
		Addr:                DefaultAddr,
		DSN:                 DefaultDSN,
		PopularityURL:       DefaultPopularityURL,
		PopularityTimeout:   DefaultPopularityTimeout,
		PopularityKeepAlive: true,
		DBTimeout:           DefaultDBTimeout,
	}
}

// LoadConfig reads the configuration from the environment through getenv
// (os.Getenv in main), starting from DefaultConfig.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	if v := getenv("LOBSTERS_ADDR"); v != "" {
		c.Addr = v
	}
	dsn, err := demodb.FromEnv(getenv)
	if err != nil {
		return c, err
	}
	if dsn != "" {
		c.DSN = dsn
	}
	if v := getenv("POPULARITY_URL"); v != "" {
		c.PopularityURL = v
	}
	if v := getenv("POPULARITY_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("POPULARITY_TIMEOUT %q: %w", v, err)
		}
		c.PopularityTimeout = d
	}
	if v := getenv("POPULARITY_KEEPALIVE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("POPULARITY_KEEPALIVE %q: %w", v, err)
		}
		c.PopularityKeepAlive = b
	}
	switch v := getenv("LOBSTERS_PERSONAL_VERSIONS"); v {
	case "", "off":
	case "on":
		c.PersonalVersions = true
	default:
		return c, fmt.Errorf("LOBSTERS_PERSONAL_VERSIONS %q: want on or off", v)
	}
	c.VersionsFile = getenv("LOBSTERS_VERSIONS_FILE")
	return c, c.Validate()
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	u, err := url.Parse(c.PopularityURL)
	if err != nil {
		return fmt.Errorf("POPULARITY_URL %q: %w", c.PopularityURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("POPULARITY_URL %q: want an http:// or https:// URL with a host", c.PopularityURL)
	}
	if c.PopularityTimeout <= 0 {
		return fmt.Errorf("POPULARITY_TIMEOUT %s: must be positive", c.PopularityTimeout)
	}
	if c.DBTimeout <= 0 {
		return fmt.Errorf("database timeout %s: must be positive", c.DBTimeout)
	}
	if c.PersonalVersions && c.VersionsFile == "" {
		return fmt.Errorf("LOBSTERS_PERSONAL_VERSIONS=on needs LOBSTERS_VERSIONS_FILE, the list of live private versions a reader may choose")
	}
	return nil
}
