// Command greeter is the smallest service svctl can run: the e2e tests' second
// pack (e2e/testdata/packs/greeter) deploys it, to show that svctl knows no
// pack in particular.
//
// It listens on GREETER_ADDR (default 127.0.0.1:8080). GET / answers, in plain
// text, "hello from SERVICE_VERSION: GREETER_GREETING" and logs a line
// msg=greeted to stderr; GET /health answers 200 ok. On SIGTERM or SIGINT it
// stops accepting connections, finishes the requests in flight and exits 0.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := serve(log); err != nil {
		log.Error("greeter failed", "err", err)
		os.Exit(1)
	}
}

func serve(log *slog.Logger) error {
	addr := envOr("GREETER_ADDR", "127.0.0.1:8080")
	version := os.Getenv("SERVICE_VERSION")
	greeting := os.Getenv("GREETER_GREETING")

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "hello from %s: %s\n", version, greeting)
		log.Info("greeted", "remote", r.RemoteAddr, "version", version)
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("listening", "addr", ln.Addr().String(), "version", version)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	log.Info("stopping")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
