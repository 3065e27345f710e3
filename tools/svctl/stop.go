package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"microwizard/deploy"
	"microwizard/deployname"
)

func cmdStop(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("stop", flag.ContinueOnError)
	one := fs.Bool("one", false, "remove only the newest instance of NAME (the original svkill)")
	pos, err := parseArgs(fs, args, 1, 1, "NAME")
	if err != nil {
		return err
	}
	name := pos[0]
	if err := deployname.Validate(name); err != nil {
		return usageError{err.Error()}
	}
	client, err := deploy.Connect(ctx, out)
	if err != nil {
		return err
	}
	stopped, err := client.Stop(ctx, name, *one)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "stopped %d instance(s) of %s\n", len(stopped), name)
	return nil
}
