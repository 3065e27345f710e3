// Command svctl runs versions of a service on Nomad straight from a working
// tree, the way the original demo's svrun/svkill did with Docker. Run
// "svctl -h" for its commands; each command's usage, help and flags are in
// the file named for it.
//
// NOMAD_ADDR, NOMAD_TOKEN, CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN and the other
// variables of the official CLIs are honoured.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"microwizard/internal/svctl/run"
)

// commands are svctl's commands, in the order its usage lists them.
var commands = []*command{runCommand, watchCommand, stopCommand, psCommand, logsCommand, promoteCommand, demoteCommand, renderCommand, meshCommand, publishCommand, gcCommand}

const usageFooter = `
SOURCE: UNCOMMITTED_COPY (the working tree as it is now, copied), UNCOMMITTED
(the live tree), or a git ref or commit. Default: HEAD.
Run "svctl COMMAND -h" for a command's help and flags.
`

func main() {
	// The first Ctrl-C cancels what runs (a run that submitted a job stops
	// and purges it, and says so); after it the signals are the default
	// again, so a second one ends svctl at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	os.Exit(execute(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// usage is svctl's usage: one line per command.
func usage() string {
	var b strings.Builder
	b.WriteString("usage:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-64s %s\n", c.usageLine(), c.synopsis)
	}
	b.WriteString(usageFooter)
	return b.String()
}

// execute runs one svctl command line and returns the exit status: 0, 1 for
// a failure, 2 for a mistake in the command line (nothing was touched).
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage())
		return 0
	}
	var cmd *command
	for _, c := range commands {
		if c.name == args[0] {
			cmd = c
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "svctl: unknown command %q\n%s", args[0], usage())
		return 2
	}
	err := cmd.execute(ctx, args[1:], stdout, stderr)
	var inputErr *run.InputError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)), errors.As(err, &inputErr):
		fmt.Fprintf(stderr, "svctl %s: %v\n", cmd.name, err)
		return 2
	default:
		fmt.Fprintf(stderr, "svctl %s: %v\n", cmd.name, err)
		return 1
	}
}
