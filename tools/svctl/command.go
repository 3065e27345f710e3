package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"microwizard/internal/svctl/env"
)

// command is one svctl command, described beside what it does, as the Nomad
// CLI describes its commands: a synopsis for svctl's usage, a help text and
// flags for "svctl COMMAND -h".
type command struct {
	name     string
	args     string // the positional arguments, e.g. "SERVICE NAME [SOURCE]"
	synopsis string
	help     string
	minArgs  int
	maxArgs  int
	// noNamespace: the command takes no -namespace (it asks no Nomad, or every namespace).
	noNamespace bool
	// setup declares the command's flags on fs and returns what runs it
	// with the positional arguments, once the flags are parsed.
	setup func(fs *flag.FlagSet) action
}

// action runs a command with its positional arguments, in the command's
// environment.
type action func(ctx context.Context, e *env.Env, pos []string, out streams) error

// streams are where a command writes: what it was asked for to stdout,
// progress and notes to stderr.
type streams struct{ stdout, stderr io.Writer }

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// BadInput marks the error as the user's mistake (exit status 2).
func (e usageError) BadInput() bool { return true }

// flags returns a new flag set with the command's flags, the action, and
// the -namespace it was given.
func (c *command) flags() (*flag.FlagSet, action, *string) {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	act := c.setup(fs)
	ns := new(string)
	if !c.noNamespace {
		fs.StringVar(ns, "namespace", "", "the Nomad namespace (default: NOMAD_NAMESPACE, else Nomad's default)")
	}
	return fs, act, ns
}

// usageLine is "svctl NAME [flags...] ARGS", the flags as they are declared.
func (c *command) usageLine() string {
	fs, _, _ := c.flags()
	parts := []string{"svctl", c.name}
	fs.VisitAll(func(f *flag.Flag) {
		switch v := f.Value.(type) {
		case varFlags:
			parts = append(parts, "[-"+f.Name+" k=v]...")
		case interface{ IsBoolFlag() bool }:
			if v.IsBoolFlag() {
				parts = append(parts, "[-"+f.Name+"]")
				return
			}
			parts = append(parts, fmt.Sprintf("[-%s %s]", f.Name, f.DefValue))
		default:
			def := f.DefValue
			if def == "" {
				def = strings.ToUpper(f.Name)
			}
			parts = append(parts, fmt.Sprintf("[-%s %s]", f.Name, def))
		}
	})
	if c.args != "" {
		parts = append(parts, c.args)
	}
	return strings.Join(parts, " ")
}

// writeHelp prints the command's usage line, help and flags.
func (c *command) writeHelp(w io.Writer) {
	fs, _, _ := c.flags()
	fmt.Fprintf(w, "usage: %s\n\n%s\n", c.usageLine(), strings.TrimSpace(c.help))
	if hasFlags(fs) {
		fmt.Fprintln(w, "\nflags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// execute parses flags that may come before, between or after the
// positional arguments, checks their number, and runs the command.
func (c *command) execute(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, act, ns := c.flags()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.writeHelp(stdout)
				return err
			}
			return usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) < c.minArgs || len(pos) > c.maxArgs {
		return usageError{fmt.Sprintf("expected %s, got %d argument(s)", c.args, len(pos))}
	}
	return act(ctx, env.New(ctx, *ns), pos, streams{stdout, stderr})
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

func round(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }
