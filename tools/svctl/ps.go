package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"microwizard/deploy"
	"microwizard/mesh"
)

func cmdPs(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ps", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args, 0, 1, "[SERVICE]")
	if err != nil {
		return err
	}
	service := ""
	if len(pos) == 1 {
		service = pos[0]
	}
	client, err := deploy.Connect(ctx, out)
	if err != nil {
		return err
	}
	rows, err := client.Instances(service)
	if err != nil {
		return err
	}
	profile, err := mesh.ActiveProfile(client.Consul)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []deploy.Row{}
		}
		return enc.Encode(struct {
			MeshProfile string       `json:"mesh_profile"`
			Instances   []deploy.Row `json:"instances"`
		}{profile, rows})
	}
	fmt.Fprintf(out, "mesh profile: %s\n", profile)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tNAME\tALLOC\tSOURCE\tADDRESS\tNOMAD\tCONSUL")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Service, r.Name, shortID(r.AllocID), sourceText(r), orDash(r.Address), r.NomadStatus, r.ConsulHealth)
	}
	return tw.Flush()
}

// sourceText is where an instance's code came from: the copy's path, or the commit.
func sourceText(r deploy.Row) string {
	switch r.Source {
	case "UNCOMMITTED_COPY", "UNCOMMITTED":
		return r.SourceDir
	}
	return r.Source + "@" + shortCommit(r.Commit)
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
