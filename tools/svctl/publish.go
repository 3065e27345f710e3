package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/svctl/env"
)

var publishCommand = &command{
	name:     "publish",
	args:     "FILE",
	synopsis: "put FILE in the artifact store; print where nodes fetch it and its checksum",
	help: `
Puts FILE in the artifact store SVCTL_ARTIFACTS names (s3://BUCKET/PREFIX;
the endpoint and credentials as AWS tools read them), under its sha256, and
prints the two job variables that fetch it, one per line:

  artifact_url=s3::<endpoint>/<bucket>/<key>
  artifact_checksum=sha256:<hex>

so that a static job such as jobs/lobsters.nomad.hcl can run on a cluster:
nomad job run $(svctl publish bin/lobsters | sed 's/^/-var /') ... The URL is
go-getter's S3 form: the node fetches it with its own credentials, and it
holds none. Content already in the store is not uploaded again.`,
	minArgs:     1,
	maxArgs:     1,
	noNamespace: true,
	setup: func(fs *flag.FlagSet) action {
		return func(ctx context.Context, _ *env.Env, pos []string, out streams) error {
			if info, err := os.Stat(pos[0]); err != nil || !info.Mode().IsRegular() {
				return usageError{fmt.Sprintf("%s: not a file to publish", pos[0])}
			}
			store, err := artifacts.FromEnv()
			if err != nil {
				return usageError{err.Error()}
			}
			if store == nil {
				return usageError{"no artifact store: set SVCTL_ARTIFACTS=s3://BUCKET/PREFIX (README: Clusters)"}
			}
			a, err := store.Publish(ctx, pos[0], filepath.Base(pos[0]))
			if err != nil {
				return err
			}
			if a.Uploaded {
				fmt.Fprintf(out.stderr, "==> published %s: uploaded %d bytes\n", a.Name, a.Sent)
			} else {
				fmt.Fprintf(out.stderr, "==> %s is already in the store: nothing uploaded\n", a.Name)
			}
			fmt.Fprintf(out.stdout, "artifact_url=%s\nartifact_checksum=%s\n", a.URL, a.Checksum())
			return nil
		}
	},
}
