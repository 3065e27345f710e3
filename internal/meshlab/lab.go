package meshlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"microwizard/lobsters/reader"

	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/consuldev"
	"microwizard/internal/meshlab/jobspec"
	"microwizard/internal/svctl/mesh"
	"microwizard/internal/svctl/pack"
)

// Options says what a Lab runs.
type Options struct {
	// RepoRoot is the repository: its packs/, jobs/ and envoy/, and the
	// source the services are built from. Required.
	RepoRoot string
	// EnvoyDir holds the mesh's config entries; RepoRoot/envoy by default.
	EnvoyDir string
	// DSN reaches the Lobsters database (go-sql-driver/mysql, over TCP or a
	// unix socket). Required.
	DSN string
	// Profile is the routing profile to start with: tutorial by default.
	Profile string
	// Logf, if set, is told each step.
	Logf func(format string, args ...any)
}

// Lab is the demo's mesh on this host.
type Lab struct {
	// Consul is the lab's dev agent.
	Consul *consuldev.Agent

	opts          Options
	dir, tmpDir   string
	consulBin     string
	envoyBin      string
	pack          *pack.Pack
	popularityPkg string
	monolithBin   string
	monolith      *allocation
	callerSidecar *nomad.SidecarTask // the monolith's, which callers run too
	monolithURL   string

	mu         sync.Mutex
	efficient  string            // the service built from the working tree
	slowBin    string            // built by SlowBinary
	sourceDirs map[string]string // binary → the tree it was built from
	instances  []*Instance
	private    map[string]bool // version → private (SetMode), for the monolith's versions file
	callers    []*Caller
	closed     bool
}

// Start builds the monolith and the service, starts a Consul dev agent,
// applies the mesh's config entries with the profile, and runs the monolith
// with its sidecar. It returns once the monolith answers. Close stops it all;
// on error Start leaves nothing running.
func Start(ctx context.Context, opts Options) (lab *Lab, err error) {
	if opts.RepoRoot == "" || opts.DSN == "" {
		return nil, errors.New("meshlab: Options.RepoRoot and Options.DSN are required")
	}
	if opts.EnvoyDir == "" {
		opts.EnvoyDir = filepath.Join(opts.RepoRoot, "envoy")
	}
	if opts.Profile == "" {
		opts.Profile = "tutorial"
	}
	l := &Lab{opts: opts, sourceDirs: map[string]string{}}
	if l.consulBin, err = lookPath("consul"); err != nil {
		return nil, err
	}
	if l.envoyBin, err = lookPath("envoy"); err != nil {
		return nil, err
	}
	if l.dir, err = os.MkdirTemp("", "meshlab-"); err != nil {
		return nil, fmt.Errorf("meshlab: %w", err)
	}
	defer func() {
		if err != nil {
			l.Close()
		}
	}()
	l.tmpDir = filepath.Join(l.dir, "tmp")
	for _, d := range []string{l.tmpDir, filepath.Join(l.dir, "logs"), filepath.Join(l.dir, "bin"), filepath.Join(l.dir, "jobs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("meshlab: %w", err)
		}
	}
	if err := l.buildAll(ctx); err != nil {
		return nil, err
	}
	l.logf("starting Consul")
	if l.Consul, err = consuldev.Start(ctx); err != nil {
		return nil, err
	}
	if err := mesh.SetUp(l.Consul.Client, opts.EnvoyDir); err != nil {
		return nil, fmt.Errorf("set up the mesh: %w", err)
	}
	if _, err := mesh.Apply(l.Consul.Client, opts.EnvoyDir, opts.Profile); err != nil {
		return nil, fmt.Errorf("apply the mesh profile %s: %w", opts.Profile, err)
	}
	if err := l.startMonolith(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// buildAll loads the pack and builds the monolith and the service from the
// working tree.
func (l *Lab) buildAll(ctx context.Context) error {
	packDir := filepath.Join(l.opts.RepoRoot, popularityPack)
	var err error
	if l.pack, err = pack.Load(packDir); err != nil {
		return err
	}
	if l.pack.Build == nil {
		return fmt.Errorf("pack %s has no build.hcl", packDir)
	}
	l.popularityPkg = l.pack.Build.Package
	l.logf("building the monolith and lobsters-popularity")
	if l.monolithBin, err = l.buildIn(ctx, l.opts.RepoRoot, monolithPkg, "lobsters"); err != nil {
		return err
	}
	if l.efficient, err = l.buildIn(ctx, l.opts.RepoRoot, l.popularityPkg, "lobsters-popularity"); err != nil {
		return err
	}
	l.sourceDirs[l.efficient] = l.opts.RepoRoot
	return nil
}

// startMonolith runs jobs/lobsters.nomad.hcl's group, with the Envoy sidecar
// run from the host's binary, as `just up` runs it.
func (l *Lab) startMonolith(ctx context.Context) error {
	path := filepath.Join(l.opts.RepoRoot, monolithJob)
	job, err := jobspec.ReadFile(path, map[string]string{
		"binary":       l.monolithBin,
		"dsn":          l.opts.DSN,
		"sidecar":      "envoy_raw_exec",
		"envoy_binary": l.envoyBin,
	})
	if err != nil {
		return err
	}
	// The live private versions: Nomad renders them from Consul with a
	// template block, which the lab has no client for; it writes the file
	// itself as versions are made private or shared (personal.go).
	for _, task := range job.TaskGroups[0].Tasks {
		if _, ok := task.Env["LOBSTERS_VERSIONS_FILE"]; ok {
			task.Env["LOBSTERS_VERSIONS_FILE"] = l.versionsFile()
		}
	}
	if err := l.writeVersionsFile(); err != nil {
		return err
	}
	// The upstream listeners bind host ports (8000): one monolith per host.
	if err := checkUpstreamPortsFree(job); err != nil {
		return err
	}
	l.logf("starting the monolith and its sidecar")
	if svc, err := ConsulService(job.TaskGroups[0]); err == nil && svc.Connect != nil {
		l.callerSidecar = svc.Connect.SidecarTask
	}
	if l.monolith, err = l.runAllocation(ctx, job, "lobsters"); err != nil {
		return fmt.Errorf("run the monolith: %w", err)
	}
	l.monolithURL = "http://" + net.JoinHostPort(l.monolith.placement.Address, strconv.Itoa(l.monolith.placement.ServicePort))
	// The upstream listener is up once Envoy has its config from Consul.
	for _, u := range l.monolith.reg.Connect.SidecarService.Proxy.Upstreams {
		addr := net.JoinHostPort(orDefault(u.LocalBindAddress, "127.0.0.1"), strconv.Itoa(u.LocalBindPort))
		err := poll(ctx, sidecarReadyTimeout, l.monolith.sidecar.proc, func() (bool, error) {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
			}
			return err == nil, nil
		}, func() string { return "the monolith's upstream listener " + addr + " not up" })
		if err != nil {
			return err
		}
	}
	return nil
}

// checkUpstreamPortsFree fails, saying why, when a host port the job's
// upstreams bind is taken.
func checkUpstreamPortsFree(job *nomad.Job) error {
	for _, tg := range job.TaskGroups {
		for _, s := range tg.Services {
			if s.Connect == nil || s.Connect.SidecarService == nil || s.Connect.SidecarService.Proxy == nil {
				continue
			}
			for _, u := range s.Connect.SidecarService.Proxy.Upstreams {
				addr := net.JoinHostPort(orDefault(u.LocalBindAddress, "127.0.0.1"), strconv.Itoa(u.LocalBindPort))
				ln, err := net.Listen("tcp", addr)
				if err != nil {
					return fmt.Errorf("%s is taken on this host (%v): the %s sidecar's upstream to %s must listen there (%s: local_bind_port = %d); stop what holds it (another lab, or a monolith run by hand) and try again",
						addr, err, s.Name, u.DestinationName, monolithJob, u.LocalBindPort)
				}
				ln.Close()
			}
		}
	}
	return nil
}

// MonolithURL returns the monolith's address, http://127.0.0.1:PORT.
func (l *Lab) MonolithURL() string { return l.monolithURL }

// UpstreamURL returns the monolith sidecar's upstream listener for
// destination (http://127.0.0.1:8000/ for lobsters-popularity): the mesh
// without the monolith. "" if the monolith has no such upstream.
func (l *Lab) UpstreamURL(destination string) string {
	for _, u := range l.monolith.reg.Connect.SidecarService.Proxy.Upstreams {
		if u.DestinationName == destination {
			return "http://" + net.JoinHostPort(orDefault(u.LocalBindAddress, "127.0.0.1"), strconv.Itoa(u.LocalBindPort)) + "/"
		}
	}
	return ""
}

// UpstreamRequests returns how many requests each listener configuration of
// the monolith's sidecar has served, by Envoy stat prefix: Consul's upstream
// listener is "upstream.<service>.default.default.<dc>", the public listener
// "public_listener".
func (l *Lab) UpstreamRequests(ctx context.Context) (map[string]uint64, error) {
	return l.monolith.sidecar.requestsByManager(ctx)
}

// EfficientBinary returns the service built from the working tree.
func (l *Lab) EfficientBinary() string { return l.efficient }

// SetProfile applies the mesh's config entries with profile, live, and
// returns once every sidecar (the monolith's and the instances') has taken
// the new configuration. The profiles are plain config entries: routes and
// clusters change under the connections the monolith holds, which serve its
// next calls with them. UpstreamRequests tells which listener served them.
func (l *Lab) SetProfile(ctx context.Context, profile string) error {
	before, err := mesh.ActiveProfile(l.Consul.Client)
	if err != nil {
		return err
	}
	l.mu.Lock()
	sidecars := []*sidecar{l.monolith.sidecar}
	for _, i := range l.instances {
		sidecars = append(sidecars, i.alloc.sidecar)
	}
	l.mu.Unlock()
	versions := make([]string, len(sidecars))
	for k, s := range sidecars {
		if versions[k], err = s.configVersions(ctx); err != nil {
			return err
		}
	}
	if _, err := mesh.Apply(l.Consul.Client, l.opts.EnvoyDir, profile); err != nil {
		return fmt.Errorf("apply the mesh profile %s: %w", profile, err)
	}
	if before == profile {
		return nil
	}
	l.logf("mesh profile %s applied", profile)
	// Every sidecar takes its part: the monolith's its routes and balancing,
	// each instance's its own request timeout.
	for k, s := range sidecars {
		if err := waitConfigSettled(ctx, s, versions[k]); err != nil {
			return err
		}
	}
	return nil
}

// waitConfigSettled waits until the sidecar has had an update of its
// listeners, clusters or routes since before, and none for a second.
func waitConfigSettled(ctx context.Context, s *sidecar, before string) error {
	const quiet = time.Second
	last, changedAt := before, time.Now()
	return poll(ctx, 30*time.Second, s.proc, func() (bool, error) {
		now, err := s.configVersions(ctx)
		if err != nil {
			return false, err
		}
		if now != last {
			last, changedAt = now, time.Now()
		}
		return last != before && time.Since(changedAt) >= quiet, nil
	}, func() string { return "a sidecar did not take the new profile" })
}

// Close stops every process the lab started, without draining, and removes
// its directory.
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	instances, callers := slices.Clone(l.instances), slices.Clone(l.callers)
	l.mu.Unlock()

	var (
		wg   sync.WaitGroup
		emu  sync.Mutex
		errs []error
	)
	stop := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				emu.Lock()
				errs = append(errs, err)
				emu.Unlock()
			}
		}()
	}
	for _, i := range instances {
		stop(i.kill)
	}
	for _, c := range callers {
		stop(c.Stop)
	}
	if l.monolith != nil {
		stop(func() error { return l.monolith.stop(false) })
	}
	wg.Wait()
	if l.Consul != nil {
		if err := l.Consul.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	if l.dir != "" {
		if err := os.RemoveAll(l.dir); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("meshlab: close: %w", err)
	}
	return nil
}

// Get fetches a page of the monolith (path such as "/popular") with client.
func (l *Lab) Get(ctx context.Context, client *http.Client, path string) (reader.Page, error) {
	return reader.Get(ctx, client, l.monolithURL+path)
}

func (l *Lab) logf(format string, args ...any) {
	if l.opts.Logf != nil {
		l.opts.Logf(format, args...)
	}
}

func orDefault(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}
