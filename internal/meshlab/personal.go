package meshlab

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"microwizard/internal/svctl/mesh"
)

// SetMode gives version a personal route with mode, as `svctl run --private`
// (mesh.Private), `svctl promote` (mesh.Shared) and `svctl demote` do, and
// returns once the monolith's Envoy routes accordingly: its shared subset
// lists none of version's instances when private, all of them when shared.
func (l *Lab) SetMode(ctx context.Context, version string, mode mesh.Mode) error {
	if err := mesh.SetMode(l.Consul.Client, l.pack.Metadata.Pack.Name, version, mode); err != nil {
		return err
	}
	l.mu.Lock()
	if l.private == nil {
		l.private = map[string]bool{}
	}
	l.private[version] = mode == mesh.Private
	l.mu.Unlock()
	if err := l.writeVersionsFile(); err != nil {
		return err
	}
	l.logf("%s is %s", version, mode)
	return l.waitShared(ctx, version, mode == mesh.Shared)
}

// Forget removes version's personal route, as `svctl stop` does once its last
// instance is gone.
func (l *Lab) Forget(ctx context.Context, version string) error {
	if err := mesh.Forget(l.Consul.Client, l.pack.Metadata.Pack.Name, version); err != nil {
		return err
	}
	l.mu.Lock()
	delete(l.private, version)
	l.mu.Unlock()
	if err := l.writeVersionsFile(); err != nil {
		return err
	}
	l.logf("%s has no personal route", version)
	return nil
}

// waitShared waits until the monolith's Envoy lists every running instance
// of version in the shared subset (in), or none of them (!in).
func (l *Lab) waitShared(ctx context.Context, version string, in bool) error {
	l.mu.Lock()
	var hosts []string
	for _, i := range l.instances {
		if i.Version == version {
			hosts = append(hosts, i.sidecarHost())
		}
	}
	l.mu.Unlock()
	prefix := mesh.SharedSubset + "." + l.pack.Metadata.Pack.Name + "."
	return poll(ctx, healthyTimeout, l.monolith.sidecar.proc, func() (bool, error) {
		clusters, err := l.monolith.sidecar.clusterHosts(ctx)
		if err != nil {
			return false, err
		}
		for name, hs := range clusters {
			if !strings.HasPrefix(name, prefix) {
				continue
			}
			for _, h := range hosts {
				if hs[h] != in {
					return false, nil
				}
			}
			return true, nil
		}
		return false, nil
	}, func() string {
		return fmt.Sprintf("the monolith's Envoy does not list %s in its shared subset = %v", version, in)
	})
}

// versionsFile is the monolith's list of live private versions
// (LOBSTERS_VERSIONS_FILE), which Nomad's template would render.
func (l *Lab) versionsFile() string { return filepath.Join(l.dir, "private_versions.tsv") }

// writeVersionsFile writes the private versions, one per line as the
// monolith's job's template does (name, owner, no expiry).
func (l *Lab) writeVersionsFile() error {
	l.mu.Lock()
	var b strings.Builder
	for _, v := range slices.Sorted(maps.Keys(l.private)) {
		if l.private[v] {
			fmt.Fprintf(&b, "%s\tmeshlab\t\n", v)
		}
	}
	l.mu.Unlock()
	tmp := l.versionsFile() + ".new"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write the private versions: %w", err)
	}
	return os.Rename(tmp, l.versionsFile())
}
