package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/env"
	"microwizard/internal/svctl/expiry"
	"microwizard/internal/svctl/mesh"
	"microwizard/internal/svctl/record"
	"microwizard/internal/svctl/run"
	"microwizard/internal/svctl/versions"
)

var psCommand = &command{
	name:     "ps",
	args:     "[SERVICE]",
	synopsis: "list running instances",
	help: `
Lists every instance svctl ran (of SERVICE only, if given; with -mine,
yours only): service, name, owner (who ran it), mode (shared, or private:
reached only by requests naming it), allocation,
the node it runs on, source, address, Nomad status and Consul health, and
the active mesh profile.`,
	minArgs: 0,
	maxArgs: 1,
	setup: func(fs *flag.FlagSet) action {
		asJSON := fs.Bool("json", false, "print JSON")
		mine := fs.Bool("mine", false, "only the instances you own (see SVCTL_OWNER)")
		return func(ctx context.Context, e *env.Env, pos []string, out streams) error {
			service := optional(pos, 0)
			if service != "" {
				if _, err := e.PackDir(service); err != nil {
					return err
				}
			}
			nc, cc, err := e.Agents()
			if err != nil {
				return err
			}
			d := deploy.New(nc, cc, nil)
			// The instances, the profile and the expiries are asked for at
			// once: ps costs the longest of them, not their sum.
			var (
				wg                             sync.WaitGroup
				rows                           []deploy.Row
				profile                        string
				routes                         map[string]mesh.Versions
				expiries                       map[string]expiry.Entry
				rowsErr, profileErr, expiryErr error
			)
			wg.Go(func() { rows, rowsErr = d.Instances(service) })
			wg.Go(func() { profile, routes, profileErr = mesh.ProfileAndVersions(cc) })
			wg.Go(func() { expiries, expiryErr = expiry.New(cc).All() })
			wg.Wait()
			if err := errors.Join(rowsErr, profileErr, expiryErr); err != nil {
				return err
			}
			if *mine {
				me, err := e.Owner()
				if err != nil {
					return err
				}
				rows = slices.DeleteFunc(rows, func(r deploy.Row) bool { return r.Owner != me })
			}
			versions.New(d, cc, e.Namespace()).Modes(rows, routes)
			for k, r := range rows {
				ns := r.Namespace
				if ns == "" {
					ns = e.Namespace()
				}
				if en, ok := expiries[ns+"/"+r.Service+"/"+r.Name]; ok && !en.Expires.IsZero() {
					rows[k].Expires = &en.Expires
				}
			}
			if *asJSON {
				enc := json.NewEncoder(out.stdout)
				enc.SetIndent("", "  ")
				if rows == nil {
					rows = []deploy.Row{}
				}
				return enc.Encode(struct {
					MeshProfile string       `json:"mesh_profile"`
					Instances   []deploy.Row `json:"instances"`
				}{profile, rows})
			}
			fmt.Fprintf(out.stdout, "mesh profile: %s\n", profile)
			tw := tabwriter.NewWriter(out.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SERVICE\tNAME\tOWNER\tMODE\tEXPIRES\tALLOC\tNODE\tSOURCE\tADDRESS\tNOMAD\tCONSUL")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", shown(r.Service), shown(r.Name), shown(orDash(r.Owner)), r.Mode, expiresText(r.Expires), shown(record.ShortID(r.AllocID)), shown(orDash(r.Node)), shown(sourceText(r)), shown(orDash(r.Address)), shown(r.NomadStatus), shown(r.ConsulHealth))
			}
			return tw.Flush()
		}
	},
}

// sourceText is where an instance's code came from: the copy's path, or the
// commit; for a published build, also the build's checksum (a copy with
// uncommitted changes is not that commit).
func sourceText(r deploy.Row) string {
	if r.Artifact != "" {
		sum := strings.TrimPrefix(r.Artifact, "sha256:")
		return r.Source + "@" + run.CommitText(r.Commit) + " " + sum[:min(12, len(sum))]
	}
	switch r.Source {
	case "UNCOMMITTED_COPY", "UNCOMMITTED":
		if r.SourceDir != "" {
			return r.SourceDir
		}
	}
	return r.Source + "@" + run.CommitText(r.Commit)
}

// shown is s as ps prints it: quoted, with escapes, when it holds what a
// terminal would not show as itself (control characters, bidirectional
// overrides, zero-width and combining characters, spaces other than the
// plain one, fillers, invalid UTF-8), so that one name cannot pass for
// another. Job meta is anyone's to write.
func shown(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || r != ' ' && !unicode.IsGraphic(r) || unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me, unicode.Zs, unicode.Zl, unicode.Zp, unicode.Other_Default_Ignorable_Code_Point) && r != ' ' || r == '\u3164' || r == '\uffa0' {
			return strconv.QuoteToASCII(s)
		}
	}
	return s
}

// expiresText is when a version expires, from now: "in 7h59m", "overdue"
// (the periodic job stops it within 30 s), or "-" for never.
func expiresText(t *time.Time) string {
	switch {
	case t == nil:
		return "-"
	case time.Until(*t) <= 0:
		return "overdue"
	}
	return "in " + time.Until(*t).Round(time.Minute).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
