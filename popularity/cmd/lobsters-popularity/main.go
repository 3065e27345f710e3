// Command lobsters-popularity runs the popularity microservice: the most
// popular Lobsters users by karma, over HTTP.
//
// Configuration comes from the environment (see popularity.ConfigFromEnv);
// -addr overrides POPULARITY_ADDR. It logs to stderr in slog's text format,
// at POPULARITY_LOG_LEVEL (info by default: one "served" line per request
// to /). SIGTERM or SIGINT shut it down gracefully; a second one stops it at
// once.
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"microwizard/popularity"
)

func main() {
	// Info until the configuration says otherwise (POPULARITY_LOG_LEVEL).
	level := new(slog.LevelVar)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := popularity.ConfigFromEnv(os.Getenv)
	if err != nil {
		logger.Error("lobsters-popularity: bad configuration", "err", err)
		os.Exit(2)
	}
	level.Set(cfg.LogLevel)
	flag.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (env POPULARITY_ADDR)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	go func() { <-ctx.Done(); stop() }() // a second signal kills at once
	if err := popularity.Run(ctx, cfg, logger); err != nil {
		logger.Error("lobsters-popularity stopped", "err", err)
		os.Exit(1)
	}
}
