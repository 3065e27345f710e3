package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"microwizard/internal/svctl/agents"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/mesh"
	"microwizard/internal/svctl/run"

	consul "github.com/hashicorp/consul/api"
)

var psCommand = &command{
	name:     "ps",
	args:     "[SERVICE]",
	synopsis: "list running instances",
	help: `
Lists every instance svctl ran (of SERVICE only, if given): service, name,
mode (shared, or private: reached only by requests naming it), allocation,
the node it runs on, source, address, Nomad status and Consul health, and
the active mesh profile.`,
	minArgs: 0,
	maxArgs: 1,
	setup: func(fs *flag.FlagSet) action {
		asJSON := fs.Bool("json", false, "print JSON")
		return func(ctx context.Context, pos []string, out streams) error {
			service := ""
			if len(pos) == 1 {
				service = pos[0]
				ws, err := findWorkspace()
				if err != nil {
					return err
				}
				if _, err := ws.packDir(service); err != nil {
					return usageError{err.Error()}
				}
			}
			nc, cc, err := agents.Both(ctx)
			if err != nil {
				return err
			}
			rows, err := deploy.New(nc, cc, nil).Instances(service)
			if err != nil {
				return err
			}
			profile, err := mesh.ActiveProfile(cc)
			if err != nil {
				return err
			}
			if err := fillModes(cc, rows); err != nil {
				return err
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
			fmt.Fprintln(tw, "SERVICE\tNAME\tMODE\tALLOC\tNODE\tSOURCE\tADDRESS\tNOMAD\tCONSUL")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", shown(r.Service), shown(r.Name), r.Mode, shown(run.ShortID(r.AllocID)), shown(orDash(r.Node)), shown(sourceText(r)), shown(orDash(r.Address)), shown(r.NomadStatus), shown(r.ConsulHealth))
			}
			return tw.Flush()
		}
	},
}

// fillModes sets each row's mode: shared or private, as the mesh routes it.
func fillModes(cc *consul.Client, rows []deploy.Row) error {
	modes := map[string]mesh.Versions{}
	for k, r := range rows {
		vs, ok := modes[r.Service]
		if !ok {
			var err error
			if vs, _, err = mesh.ReadVersions(cc, r.Service); err != nil {
				return err
			}
			modes[r.Service] = vs
		}
		rows[k].Mode = string(vs.Mode(r.Name))
	}
	return nil
}

// sourceText is where an instance's code came from: the copy's path, or the
// commit; for a published build, also the build's checksum (a copy with
// uncommitted changes is not that commit).
func sourceText(r deploy.Row) string {
	if r.Artifact != "" {
		sum := strings.TrimPrefix(r.Artifact, "sha256:")
		return r.Source + "@" + commitText(r.Commit) + " " + sum[:min(12, len(sum))]
	}
	switch r.Source {
	case "UNCOMMITTED_COPY", "UNCOMMITTED":
		if r.SourceDir != "" {
			return r.SourceDir
		}
	}
	return r.Source + "@" + commitText(r.Commit)
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

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
