// Command meshbench measures the demo's mesh on one host, without Nomad, and
// prints one table: how often /popular is slow with one slow instance among
// four under each routing profile, how other pages fare while /popular is
// flooded with slow requests, and what the mesh costs /popular.
//
// Usage:
//
//	meshbench [-scale 0.4] [-seq 40] [-conc 16] [-conc-requests 160] [-flood-conc 4] [-idle-wait 65s] [-timeout 20m]
//
// It runs a meshlab.Lab (Consul, Envoy sidecars, the monolith and
// lobsters-popularity instances, all on 127.0.0.1) on a scratch database it
// creates, seeds and drops, on the MariaDB/MySQL server of
// LOBSTERS_TEST_ADMIN_DSN (default root over /run/mysqld/mysqld.sock). It
// needs consul and envoy on PATH, and stops by itself: every count is
// bounded, and -timeout bounds the whole run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"microwizard/internal/admindsn"
	"microwizard/internal/meshlab"
	"microwizard/lobsters/seed"
)

// config is the command line.
type config struct {
	scale        float64
	seq          int
	conc         int
	concRequests int
	latencyN     int
	floodConc    int
	idleWait     time.Duration
	timeout      time.Duration
	adminDSN     string
	rows         bool
}

func main() {
	var c config
	flag.Float64Var(&c.scale, "scale", 0.4, "size of the data set, as a fraction of seed.Default (the slow query takes about 3 s at 0.4 on an idle machine)")
	flag.IntVar(&c.seq, "seq", 40, "sequential /popular requests per profile")
	flag.IntVar(&c.conc, "conc", 16, "concurrency of the concurrent runs")
	flag.IntVar(&c.concRequests, "conc-requests", 160, "/popular requests per profile at -conc")
	flag.IntVar(&c.latencyN, "latency-requests", 400, "requests per latency measurement")
	flag.IntVar(&c.floodConc, "flood-conc", 4, "slow /popular requests kept in flight by the flood: few enough that each, queued behind the others for the service's one database connection, finishes within the monolith's 20 s timeout")
	flag.DurationVar(&c.idleWait, "idle-wait", 65*time.Second, "quiet time after a live switch for the monolith to close its idle connections (it keeps them 60 s)")
	flag.DurationVar(&c.timeout, "timeout", 20*time.Minute, "bound on the whole run")
	flag.StringVar(&c.adminDSN, "admin-dsn", admindsn.FromEnv(), "DSN with the right to create and drop a database")
	flag.BoolVar(&c.rows, "rows", false, "print tab-separated rows for `just bench` instead of the tables")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := run(ctx, c, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "meshbench:", err)
		os.Exit(1)
	}
}

// run sets up the database and the lab, measures, and prints the table.
func run(ctx context.Context, c config, out, progress io.Writer) (err error) {
	logf := func(format string, args ...any) { fmt.Fprintf(progress, "meshbench: "+format+"\n", args...) }
	root, err := repoRoot()
	if err != nil {
		return err
	}
	size := seed.Default.Scale(c.scale)
	logf("creating a scratch database with %v", size)
	db, err := createDB(ctx, c.adminDSN)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.drop()) }()
	if _, err := seed.Seed(ctx, db.DB, size, 1); err != nil {
		return fmt.Errorf("seed: %w", err)
	}

	lab, err := meshlab.Start(ctx, meshlab.Options{RepoRoot: root, DSN: db.dsn, Profile: "tutorial", Logf: logf})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, lab.Close()) }()

	r := &results{size: size, conc: c.conc, floodConc: c.floodConc}
	b := &bench{lab: lab, cfg: c, logf: logf, client: newClient(c.conc)}
	if err := b.measure(ctx, r); err != nil {
		return err
	}
	if c.rows {
		r.printRows(out)
	} else {
		r.print(out)
	}
	return nil
}

// repoRoot is the top of the git work tree holding the working directory.
func repoRoot() (string, error) {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", fmt.Errorf("find the repository (run meshbench inside it): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
