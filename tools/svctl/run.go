package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/svctl/env"
	"microwizard/internal/svctl/expiry"
	"microwizard/internal/svctl/mesh"
	"microwizard/internal/svctl/record"
	"microwizard/internal/svctl/request"
	"microwizard/internal/svctl/run"
	"microwizard/internal/svctl/snapshot"
	"microwizard/internal/svctl/versions"
)

var runCommand = &command{
	name:     "run",
	args:     "SERVICE NAME [SOURCE]",
	synopsis: "add one instance of NAME, built from SOURCE",
	help: `
Copies SOURCE into a new directory under the data dir, builds the service's
package there (the pack's build.hcl), renders the pack into one Nomad job,
submits it and follows it until the new instance passes its checks in Consul.
Each run adds one instance and leaves the others alone. Bad input is refused
before anything happens (exit 2); a run that fails leaves nothing behind.`,
	minArgs: 2,
	maxArgs: 3,
	setup: func(fs *flag.FlagSet) action {
		vars, opts := runFlags(fs)
		return func(ctx context.Context, e *env.Env, pos []string, out streams) error {
			r, err := run.Check(ctx, e, pos[0], pos[1], optional(pos, 2), vars)
			if err != nil {
				return err
			}
			_, err = runOnce(ctx, e, r, opts(), out)
			return err
		}
	},
}

// optional is the positional argument i, "" when it was not given.
func optional(pos []string, i int) string {
	if len(pos) > i {
		return pos[i]
	}
	return ""
}

// runFlags defines run's flags on fs (watch takes them too) and returns the
// --var values and a function that reads the others once parsed.
func runFlags(fs *flag.FlagSet) (varFlags, func() run.Options) {
	vars := varFlags{}
	fs.Var(vars, "var", "set a pack variable, key=value (repeatable)")
	timeout := fs.Duration("timeout", 90*time.Second, "how long to wait for each instance to be healthy in Consul")
	publish := fs.Bool("publish", false, "publish the build to the artifact store (SVCTL_ARTIFACTS) even where the nodes are this machine")
	maxUntracked := fs.Int64("max-untracked", snapshot.DefaultMaxUntracked>>20, "the largest untracked file UNCOMMITTED_COPY takes, in MB (0: no limit)")
	private := fs.Bool("private", false, "run a private version: only requests whose baggage names NAME reach it (svctl-version=NAME)")
	allowSecrets := &secretFiles{}
	fs.Var(allowSecrets, "allow-secret-file", "publish `PATH` (relative to the repository's root) although its name looks like a secret's: .env, .env.*, *.pem, *.key, id_* (repeatable)")
	ttl := &ttlFlag{}
	fs.Var(ttl, "ttl", fmt.Sprintf("how long the version lives from this run on, at most 30 days (0: for ever; default %s private, %s shared)", expiry.DefaultPrivate, expiry.DefaultShared))
	return vars, func() run.Options {
		o := run.Options{Timeout: *timeout, Publish: *publish, MaxUntracked: *maxUntracked << 20, Private: *private, AllowSecretFiles: *allowSecrets}
		if ttl.set {
			o.TTL = &ttl.d
		}
		return o
	}
}

// secretFiles is -allow-secret-file, repeatable: files published although
// their names look like secrets, each checked as it is parsed.
type secretFiles []string

// String is the flag's value; for none, the word the usage line shows.
func (f *secretFiles) String() string {
	if f == nil || len(*f) == 0 {
		return "PATH"
	}
	return strings.Join(*f, " ")
}

func (f *secretFiles) Set(s string) error {
	p, err := artifacts.AllowedPath(s)
	if err != nil {
		return err
	}
	*f = append(*f, p)
	return nil
}

// ttlFlag is -ttl: a time to live, checked as it is parsed.
type ttlFlag struct {
	d   time.Duration
	set bool
}

func (f *ttlFlag) String() string {
	if !f.set {
		return "default"
	}
	return f.d.String()
}

func (f *ttlFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("a duration such as 90m or 8h: %w", err)
	}
	if err := expiry.Check(d); err != nil {
		return err
	}
	f.d, f.set = d, true
	return nil
}

// runOnce runs the pipeline once and prints its report.
func runOnce(ctx context.Context, e *env.Env, r *request.Request, opts run.Options, out streams) (string, error) {
	res, err := run.Run(ctx, e, r, opts, run.Output{Progress: out.stdout, Warn: out.stderr})
	if err != nil {
		return "", err
	}
	inst := res.Instance
	fmt.Fprintf(out.stdout, "\n%s %s is running: job %s, allocation %s, at %s\n", r.Service, r.Name, inst.JobID, record.ShortID(inst.AllocID), inst.Address)
	if opts.Private {
		fmt.Fprintf(out.stdout, "%s is private: %s\n", r.Name, versions.ModeText(r.Name, mesh.Private))
	}
	t := res.Took
	buildText := round(t.Build)
	if t.BuildReused {
		buildText += " (reused)"
	}
	if exp := res.Expiry.Expires; !exp.IsZero() {
		fmt.Fprintf(out.stdout, "%s expires at %s (in %s; `svctl extend %s D` gives it longer)\n", r.Name, exp.Local().Format(time.DateTime), time.Until(exp).Round(time.Second), r.Name)
	} else {
		fmt.Fprintf(out.stdout, "%s does not expire\n", r.Name)
	}
	fmt.Fprintf(out.stdout, "timings: copy %s, build %s, publish %s, submit to healthy %s, total %s\n",
		round(t.Copy), buildText, round(t.Publish), round(t.Healthy), round(t.Copy+t.Build+t.Publish+t.Healthy))
	return res.JobID, nil
}
