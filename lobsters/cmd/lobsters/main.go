// Command lobsters runs the Microwizard monolith: the small Lobsters site whose
// /popular page asks the popularity microservice for the most popular users.
//
// Configuration comes from the environment (LOBSTERS_ADDR, LOBSTERS_DSN,
// POPULARITY_URL, POPULARITY_TIMEOUT, POPULARITY_KEEPALIVE); -addr overrides
// LOBSTERS_ADDR. SIGINT or SIGTERM stops it gracefully.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"microwizard/lobsters"
)

// startupWait is how long the monolith waits for the database at start.
const startupWait = 60 * time.Second

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("lobsters stopped", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	cfg, err := lobsters.LoadConfig(os.Getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	flag.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (env LOBSTERS_ADDR)")
	flag.Parse()
	cfg.AccessLog = true

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := sql.Open("mysql", cfg.DSN)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	lobsters.ConfigurePool(db)
	if err := waitForDB(ctx, db, log); err != nil {
		return err
	}

	app, err := lobsters.New(ctx, db, cfg, log)
	if err != nil {
		return fmt.Errorf("start monolith: %w", err)
	}
	defer app.Close()

	srv := lobsters.NewServer(cfg, app.Handler(), log)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("lobsters listening", "addr", cfg.Addr, "popularity_url", cfg.PopularityURL,
		"popularity_timeout", cfg.PopularityTimeout, "popularity_keepalive", cfg.PopularityKeepAlive)

	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", cfg.Addr, err)
	case <-ctx.Done():
	}
	stop() // a second signal kills at once
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.PopularityTimeout+5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve on %s: %w", cfg.Addr, err)
	}
	log.Info("stopped")
	return nil
}

// waitForDB pings the database until it answers, for up to startupWait: under
// a scheduler the monolith may start before MariaDB.
func waitForDB(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, startupWait)
	defer cancel()
	for delay := 250 * time.Millisecond; ; delay = min(2*delay, 4*time.Second) {
		pingCtx, pingCancel := context.WithTimeout(ctx, 5*time.Second)
		err := db.PingContext(pingCtx)
		pingCancel()
		if err == nil {
			return nil
		}
		log.Warn("waiting for the database", "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return fmt.Errorf("database did not answer within %s: %w", startupWait, err)
		case <-time.After(delay):
		}
	}
}
