package meshlab

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// sidecarReadyTimeout bounds how long a new Envoy may take to be LIVE.
const sidecarReadyTimeout = 30 * time.Second

// sidecar is an Envoy run for one registered service by the sidecar task
// of a job, as Nomad's client runs it.
type sidecar struct {
	proc  *process
	admin string // http://127.0.0.1:PORT of its admin API
}

// nodeMeta is the node meta every Nomad client has by default, which
// sidecar tasks interpolate (${meta.connect.log_level}, ...).
var nodeMeta = map[string]string{"connect.log_level": "info", "connect.proxy_concurrency": "1"}

var runtimeVarRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// startSidecar runs task, a job's envoy_raw_exec sidecar task, for
// serviceID as Nomad's client would: `consul connect envoy -bootstrap` writes
// the bootstrap into the task's secrets directory, and the task's command
// runs with NOMAD_ALLOC_DIR and NOMAD_SECRETS_DIR set and the node meta
// interpolated. It returns once Envoy is LIVE.
func (l *Lab) startSidecar(ctx context.Context, serviceID, name string, adminPort int, task *nomad.SidecarTask) (*sidecar, error) {
	if task == nil || task.Driver != "raw_exec" {
		return nil, fmt.Errorf("%s: the lab runs the jobs' raw_exec sidecar tasks (sidecar = envoy_raw_exec)", name)
	}
	command, _ := task.Config["command"].(string)
	args, _ := task.Config["args"].([]string)
	if command == "" {
		return nil, fmt.Errorf("%s: the sidecar task has no command", name)
	}
	var err error
	interpolate := func(s string) string {
		return runtimeVarRE.ReplaceAllStringFunc(s, func(m string) string {
			key := strings.TrimPrefix(m[2:len(m)-1], "meta.")
			if v, ok := nodeMeta[key]; ok && strings.HasPrefix(m, "${meta.") {
				return v
			}
			err = fmt.Errorf("%s: the sidecar task uses %s, which the lab does not give", name, m)
			return m
		})
	}
	args = slices.Clone(args)
	for i := range args {
		args[i] = interpolate(args[i])
	}
	if err != nil {
		return nil, err
	}

	allocDir := filepath.Join(l.dir, "allocs", name)
	secrets := filepath.Join(allocDir, "connect-proxy", "secrets")
	for _, d := range []string{filepath.Join(allocDir, "alloc", "tmp"), secrets} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	adminAddr := "127.0.0.1:" + strconv.Itoa(adminPort)
	bootstrap, err := exec.CommandContext(ctx, l.consulBin, "connect", "envoy", "-bootstrap",
		"-sidecar-for", serviceID,
		"-admin-bind", adminAddr,
		"-http-addr", "http://"+l.Consul.HTTPAddr,
		"-grpc-addr", "http://"+l.Consul.GRPCAddr,
	).Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil, fmt.Errorf("%s: consul connect envoy -bootstrap: %w: %s", name, err, strings.TrimSpace(string(exit.Stderr)))
		}
		return nil, fmt.Errorf("%s: consul connect envoy -bootstrap: %w", name, err)
	}
	if err := os.WriteFile(filepath.Join(secrets, "envoy_bootstrap.json"), bootstrap, 0o600); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	env := []string{"NOMAD_ALLOC_DIR=" + filepath.Join(allocDir, "alloc"), "NOMAD_SECRETS_DIR=" + secrets}
	for _, k := range slices.Sorted(maps.Keys(task.Env)) {
		env = append(env, k+"="+interpolate(task.Env[k]))
	}
	if err != nil {
		return nil, err
	}
	proc, err := startProcess("envoy for "+name, filepath.Join(l.dir, "logs", name+".envoy.log"), command, args, env)
	if err != nil {
		return nil, err
	}
	s := &sidecar{proc: proc, admin: "http://" + adminAddr}
	if err := s.waitLive(ctx); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// waitLive waits for the admin API to say LIVE.
func (s *sidecar) waitLive(ctx context.Context) error {
	return poll(ctx, sidecarReadyTimeout, s.proc, func() (bool, error) {
		body, err := s.get(ctx, "/ready")
		return err == nil && strings.TrimSpace(body) == "LIVE", nil
	}, func() string { return s.proc.name + " not LIVE" })
}

// stop stops Envoy: SIGTERM, then SIGKILL after 5 s.
func (s *sidecar) stop() error {
	if s == nil {
		return nil
	}
	return s.proc.stop(syscall.SIGTERM, 5*time.Second)
}

// get fetches path from the admin API.
func (s *sidecar) get(ctx context.Context, path string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.admin+path, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("envoy admin %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("envoy admin %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("envoy admin %s: %s", path, resp.Status)
	}
	return string(b), nil
}

// healthyHosts returns the hosts (address:port) the sidecar's clusters for
// the upstream service name list as healthy, from /clusters.
func (s *sidecar) healthyHosts(ctx context.Context, service string) (map[string]bool, error) {
	clusters, err := s.clusterHosts(ctx)
	if err != nil {
		return nil, err
	}
	hosts := map[string]bool{}
	for name, hs := range clusters {
		// The service's own cluster, or one of its subsets' (SUBSET.service...).
		if strings.HasPrefix(name, service+".") || strings.Contains(name, "."+service+".") {
			for h, healthy := range hs {
				hosts[h] = hosts[h] || healthy
			}
		}
	}
	return hosts, nil
}

// clusterHosts returns the hosts of each of the sidecar's clusters, and
// whether Envoy counts each healthy.
func (s *sidecar) clusterHosts(ctx context.Context) (map[string]map[string]bool, error) {
	body, err := s.get(ctx, "/clusters")
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		// lobsters-popularity.default.dc1.internal.<td>.consul::127.0.0.1:21000::health_flags::healthy
		parts := strings.Split(sc.Text(), "::")
		if len(parts) == 4 && parts[2] == "health_flags" {
			if out[parts[0]] == nil {
				out[parts[0]] = map[string]bool{}
			}
			out[parts[0]][parts[1]] = parts[3] == "healthy"
		}
	}
	return out, sc.Err()
}

// requestsByManager returns how many requests each HTTP connection manager
// of the sidecar has handled, by stat prefix (Envoy's
// http.<prefix>.downstream_rq_total).
func (s *sidecar) requestsByManager(ctx context.Context) (map[string]uint64, error) {
	body, err := s.get(ctx, "/stats?filter="+url.QueryEscape(`^http\..*\.downstream_rq_total$`))
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for _, line := range strings.Split(body, "\n") {
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(value), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("envoy stat %s: %w", name, err)
		}
		out[strings.TrimSuffix(strings.TrimPrefix(name, "http."), ".downstream_rq_total")] = n
	}
	return out, nil
}

// versionRE finds the version and update time of each dynamic resource in
// a config dump.
var versionRE = regexp.MustCompile(`"(?:version_info|last_updated)": "[^"]*"`)

// configVersions sums up which versions of its listeners, clusters and
// routes the sidecar has: it changes whenever one of them is updated. (The
// dump itself is no good for that: its maps come in a new order each time.)
func (s *sidecar) configVersions(ctx context.Context) (string, error) {
	dump, err := s.get(ctx, "/config_dump")
	if err != nil {
		return "", err
	}
	found := versionRE.FindAllString(dump, -1)
	slices.Sort(found)
	return strings.Join(found, "\n"), nil
}

// poll calls ok every 100 ms until it says true, for up to limit (and ctx),
// failing early if proc exits. what describes the wait for its error.
func poll(ctx context.Context, limit time.Duration, proc *process, ok func() (bool, error), what func() string) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		done, err := ok()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		var exited <-chan struct{}
		if proc != nil {
			exited = proc.done
		}
		select {
		case <-exited:
			return proc.exitError()
		case <-ctx.Done():
			return fmt.Errorf("%s after %s: %w", what(), limit, ctx.Err())
		case <-tick.C:
		}
	}
}

// lookPath finds a program the lab needs, with a hint when it is missing.
func lookPath(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("no %s on PATH: run scripts/setup and put ~/.cache/microwizard/bin on PATH", name)
	}
	return p, nil
}
