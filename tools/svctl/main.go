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
)

// commands are svctl's commands, in the order its usage lists them.
var commands = []*command{runCommand, watchCommand, stopCommand, psCommand, logsCommand, promoteCommand, demoteCommand, extendCommand, expireCommand, renderCommand, meshCommand, publishCommand, gcCommand}

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

// Exit statuses: each means one thing (README: svctl).
const (
	exitOK          = 0
	exitFailed      = 1   // the world failed: an agent, the store, a build
	exitBadInput    = 2   // a mistake in what was asked: nothing was touched
	exitInterrupted = 130 // cut short by Ctrl-C or SIGTERM, after the cleanup the command owes
)

// badInput is an error that is the user's mistake, whichever package found
// it (a bad NAME, an unknown ref, a value the pack refuses).
type badInput interface{ BadInput() bool }

// execute runs one svctl command line and returns its exit status.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return exitBadInput
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage())
		return exitOK
	}
	var cmd *command
	for _, c := range commands {
		if c.name == args[0] {
			cmd = c
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "svctl: unknown command %q\n%s", args[0], usage())
		return exitBadInput
	}
	err := cmd.execute(ctx, args[1:], stdout, stderr)
	var bad badInput
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		// logs -f and watch end on Ctrl-C by design: that is success.
		return exitOK
	case errors.As(err, &bad) && bad.BadInput():
		fmt.Fprintf(stderr, "svctl %s: %v\n", cmd.name, err)
		return exitBadInput
	case ctx.Err() != nil:
		msg := err.Error()
		if !strings.Contains(msg, "interrupted") {
			msg = "interrupted: " + msg
		}
		fmt.Fprintf(stderr, "svctl %s: %s\n", cmd.name, msg)
		return exitInterrupted
	default:
		fmt.Fprintf(stderr, "svctl %s: %v\n", cmd.name, err)
		return exitFailed
	}
}
