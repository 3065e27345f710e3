package popularity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// HTTP server timeouts that do not depend on the configuration.
const (
	readHeaderTimeout = 5 * time.Second
	idleTimeout       = 60 * time.Second
	writeSlack        = 5 * time.Second // beyond the wait and the query deadline, to send the answer
)

// Run serves the service as cfg describes until ctx is done (main cancels it
// on SIGTERM or SIGINT), then shuts down gracefully.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	db, err := OpenDB(cfg.DSN, cfg.DBConns)
	if err != nil {
		return err
	}
	defer db.Close()
	// /health pings on a connection of its own: a burst of slow queries that
	// holds every pooled connection must not make a working database look
	// down to Consul.
	healthDB, err := OpenDB(cfg.DSN, 1)
	if err != nil {
		return err
	}
	defer healthDB.Close()
	s := New(db, cfg.Identity())
	s.QueryTimeout, s.HealthTimeout, s.Logger, s.HealthDB = cfg.RequestTimeout, cfg.HealthTimeout, logger, healthDB
	s.DBConns, s.DBWait = cfg.DBConns, cfg.DBWait
	defer s.Close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	id := s.Identity()
	logger.Info("lobsters-popularity listening", "addr", ln.Addr().String(), "version", id.Version,
		"instance", id.Instance, "service_id", id.ServiceID)
	if err := Serve(ctx, ln, s.Handler(), cfg); err != nil {
		return err
	}
	// Its last line says how many "served" lines came before it, so that a
	// reader of the log can tell that none is missing.
	logger.Info("stopped", "addr", ln.Addr().String(), "served", s.served.Load())
	return nil
}

// Serve answers requests on ln with h until ctx is done, then shuts down
// gracefully: it stops accepting, lets in-flight requests finish for up to
// cfg.ShutdownTimeout, and closes whatever is left after that.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, cfg Config) error {
	// A request to / may wait DBWait for a query slot, then query for
	// RequestTimeout.
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		WriteTimeout:      cfg.DBWait + cfg.RequestTimeout + writeSlack,
		IdleTimeout:       idleTimeout,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		return fmt.Errorf("shut down: in-flight requests cut off after %s: %w", cfg.ShutdownTimeout, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	}
	return nil
}
