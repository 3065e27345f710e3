// Command getrelease installs one HashiCorp binary from its official release
// archive, verified against a SHA256SUMS pinned in this repository
// (deps/releases/). scripts/setup runs it for Nomad and Consul.
//
//	getrelease -product nomad -version 1.6.5 -sums deps/releases/nomad_1.6.5_SHA256SUMS -dir ~/.cache/microwizard/bin
//
// The archive is the one for this machine's OS and architecture (-os, -arch to
// choose another); it comes from https://releases.hashicorp.com, or from
// $MW_RELEASES_URL (a mirror, or a test server) when that is set, or from -base.
//
// Exit status: 0 installed; 3 the release server could not be reached
// (nothing installed; stderr is one line, the server and why, e.g.
// "releases.hashicorp.com not reachable (dial tcp: lookup ...: no such host)",
// for the caller's own message before it falls back); 2 bad
// usage; 1 any other failure (archive missing, checksum not pinned or not
// matching: nothing installed).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"time"

	"microwizard/internal/release"
)

// Exit statuses.
const (
	exitFailed      = 1
	exitUsage       = 2
	exitUnreachable = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command with its arguments and outputs, and returns its exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("getrelease", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var spec release.Spec
	var opts release.Options
	var sumsPath string
	base := os.Getenv("MW_RELEASES_URL")
	if base == "" {
		base = release.DefaultBaseURL
	}
	fs.StringVar(&spec.Product, "product", "", "product, as the release server names it (nomad, consul)")
	fs.StringVar(&spec.Version, "version", "", "version, without a leading v (1.6.5)")
	fs.StringVar(&spec.OS, "os", runtime.GOOS, "the archive's OS")
	fs.StringVar(&spec.Arch, "arch", runtime.GOARCH, "the archive's architecture")
	fs.StringVar(&sumsPath, "sums", "", "the pinned SHA256SUMS of the release")
	fs.StringVar(&opts.Dir, "dir", "", "the directory to install the binary into")
	fs.StringVar(&opts.BaseURL, "base", base, "the release server (default: $MW_RELEASES_URL, else "+release.DefaultBaseURL+")")
	fs.DurationVar(&opts.Timeout, "timeout", 10*time.Minute, "bound on the whole download")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if spec.Product == "" || spec.Version == "" || sumsPath == "" || opts.Dir == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: getrelease -product P -version V -sums FILE -dir DIR [-os OS] [-arch ARCH] [-base URL]")
		return exitUsage
	}
	sums, err := os.ReadFile(sumsPath)
	if err != nil {
		fmt.Fprintf(stderr, "getrelease: pinned checksums: %v\n", err)
		return exitFailed
	}
	opts.Sums, opts.SumsName = sums, sumsPath

	start := time.Now()
	res, err := release.Install(ctx, spec, opts)
	switch {
	case errors.Is(err, release.ErrUnreachable):
		// Only the reason, which the caller puts in its own one line.
		fmt.Fprintln(stderr, err)
		return exitUnreachable
	case err != nil:
		fmt.Fprintf(stderr, "getrelease: %s %s: %v; nothing installed\n", spec.Product, spec.Version, err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s %s: installed %s from %s (sha256 %s, as pinned in %s) in %s\n",
		spec.Product, spec.Version, res.Path, res.URL, res.SHA256, sumsPath, time.Since(start).Round(time.Second/10))
	return 0
}
