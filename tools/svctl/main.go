// Command svctl runs versions of a service on Nomad straight from a working
// tree, the way the original demo's svrun/svkill did with Docker:
//
//	svctl run SERVICE NAME [SOURCE]    add one instance of NAME (SOURCE: UNCOMMITTED_COPY, UNCOMMITTED or a git ref; default HEAD)
//	svctl stop [--one] NAME            remove every instance of NAME (--one: only the newest)
//	svctl ps [-json] [SERVICE]         list instances
//	svctl render SERVICE NAME [SOURCE] print the job a run would submit
//	svctl mesh [PROFILE]               apply envoy/ config entries with a routing profile, or show the active one
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

const usage = `usage:
  svctl run [flags] SERVICE NAME [SOURCE]   add one instance of NAME, built from SOURCE
  svctl stop [--one] NAME                   remove every instance of NAME (--one: the newest only)
  svctl ps [-json] [SERVICE]                list running instances
  svctl render [flags] SERVICE NAME [SOURCE] print the job a run would submit; submits nothing
  svctl mesh [PROFILE]                      apply the mesh config with PROFILE (tutorial, resilient), or show the active one

SOURCE: UNCOMMITTED_COPY (the working tree as it is now, copied), UNCOMMITTED
(the live tree), or a git ref or commit. Default: HEAD.
Run "svctl COMMAND -h" for a command's flags.
`

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one svctl command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func(context.Context, []string, io.Writer) error{
		"run":    cmdRun,
		"stop":   cmdStop,
		"ps":     cmdPs,
		"render": cmdRender,
		"mesh":   cmdMesh,
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "svctl: unknown command %q\n%s", args[0], usage)
		return 2
	}
	err := cmd(ctx, args[1:], stdout)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "svctl %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "svctl %s: %v\n", args[0], err)
		return 1
	}
}

// parseArgs parses flags that may come before, between or after the
// positional arguments, and checks their number.
func parseArgs(fs *flag.FlagSet, args []string, min, max int, names string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(os.Stdout)
				fmt.Fprintf(os.Stdout, "usage: svctl %s %s\n", fs.Name(), names)
				fs.PrintDefaults()
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) < min || len(pos) > max {
		return nil, usageError{fmt.Sprintf("expected %s, got %d argument(s)", names, len(pos))}
	}
	return pos, nil
}

// varFlags collects repeated --var key=value flags.
type varFlags map[string]string

func (v varFlags) String() string { return "" }

func (v varFlags) Set(s string) error {
	k, val, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("--var wants key=value, got %q", s)
	}
	if _, dup := v[k]; dup {
		return fmt.Errorf("--var %s given twice", k)
	}
	v[k] = val
	return nil
}
