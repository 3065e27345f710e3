package pack

import (
	"cmp"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// renderCase is one rendering of the real pack: the variables svctl passes
// for a run, plus extra ones.
type renderCase struct {
	name            string
	driver, sidecar string
	extra           map[string]string
}

// overrides returns the --var values of the case.
func (c renderCase) overrides() map[string]string {
	o := map[string]string{
		"job_name":    "lobsters-popularity-lobpop_v1-1a2b3c",
		"deploy_name": "lobpop_v1",
		"source_dir":  "/var/lib/svctl/runs/lobpop_v1-1a2b3c/src",
		"binary":      "/var/lib/svctl/runs/lobpop_v1-1a2b3c/bin/lobsters-popularity",
		"driver":      c.driver,
		"sidecar":     c.sidecar,
	}
	maps.Copy(o, c.extra)
	return o
}

// meta returns the meta svctl gives the case's run.
func (c renderCase) meta() map[string]string {
	o := c.overrides()
	return runMeta(o["deploy_name"], "UNCOMMITTED_COPY", "4e1f0c9b2a7d3e5f6a8b9c0d1e2f3a4b5c6d7e8f", o["source_dir"])
}

// runMeta is the meta variable's value for a run, as svctl sets it.
func runMeta(deployName, source, commit, sourceDir string) map[string]string {
	return map[string]string{
		"svctl": "1", "service": "lobsters-popularity", "deploy_name": deployName,
		"source": source, "commit": commit, "source_dir": sourceDir,
	}
}

// valuesWithMeta returns the pack's values for overrides, with meta set as
// svctl sets it: as a value, not as text.
func valuesWithMeta(p *Pack, overrides, meta map[string]string) (Values, error) {
	vals, err := p.Values(overrides)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	for k, v := range meta {
		m[k] = v
	}
	vals["meta"] = m
	return vals, nil
}

// renderCases covers both drivers with each sidecar, and a run with the
// network options set.
func renderCases() []renderCase {
	var cases []renderCase
	for _, driver := range []string{"raw_exec", "docker"} {
		for _, sidecar := range []string{"envoy", "envoy_raw_exec", "consul_proxy"} {
			cases = append(cases, renderCase{name: driver + "-" + sidecar, driver: driver, sidecar: sidecar})
		}
	}
	// A run published to an artifact store for a cluster: nothing of the
	// developer's machine in the job, MySQL through the mesh.
	published := func(extra map[string]string) map[string]string {
		m := map[string]string{
			"binary": "", "source_dir": "",
			"artifact_url":      "s3::http://10.77.0.2:8333/svctl/runs/sha256/4e1f0c9b/lobsters-popularity",
			"artifact_checksum": "sha256:4e1f0c9b2a7d3e5f6a8b9c0d1e2f3a4b5c6d7e8f4e1f0c9b2a7d3e5f6a8b9c0d",
			"mysql_upstream":    "mysql",
			"mysql_socket_dir":  "",
			"host_network":      "",
			"dsn":               "lobsters:lobsters@tcp(127.0.0.1:3306)/lobsters?parseTime=true",
		}
		maps.Copy(m, extra)
		return m
	}
	cases = append(cases,
		renderCase{name: "exec-envoy_raw_exec-published", driver: "exec", sidecar: "envoy_raw_exec", extra: published(map[string]string{"node": "n2"})},
		renderCase{name: "docker-envoy-published", driver: "docker", sidecar: "envoy", extra: published(map[string]string{
			"source_artifact_url":      "s3::http://10.77.0.2:8333/svctl/runs/sha256/0a1b2c3d/source.tar.gz",
			"source_artifact_checksum": "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
		})},
	)
	return append(cases, renderCase{
		name: "raw_exec-consul_proxy-host_network", driver: "raw_exec", sidecar: "consul_proxy",
		extra: map[string]string{
			"host_network":     "nomad",
			"consul_http_addr": "unix:///run/consul/http.sock",
			"datacenters":      `["dc1", "dc2"]`,
			"app_port":         "5001",
			"dsn":              "lobsters:lobsters@tcp(172.26.64.1:3306)/lobsters?parseTime=true",
		},
	})
}

// renderReal renders the real pack for c and returns its one job.
func renderReal(t *testing.T, p *Pack, c renderCase) string {
	t.Helper()
	vals, err := valuesWithMeta(p, c.overrides(), c.meta())
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Render(vals)
	if err != nil {
		t.Fatal(err)
	}
	job, ok := out["lobsters-popularity.nomad"]
	if !ok || len(out) != 1 {
		t.Fatalf("rendered %q, want only lobsters-popularity.nomad", slices.Sorted(maps.Keys(out)))
	}
	return job
}

// TestRealPackMatchesGoldenFiles renders packs/lobsters-popularity for each
// driver and sidecar and compares the jobs with testdata/golden. After a
// deliberate change, `go test ./pack -run Golden -update` rewrites them.
func TestRealPackMatchesGoldenFiles(t *testing.T) {
	p, err := Load(realPack)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range renderCases() {
		t.Run(c.name, func(t *testing.T) {
			job := renderReal(t, p, c)
			golden := filepath.Join("testdata", "golden", c.name+".nomad")
			if *update {
				if err := os.WriteFile(golden, []byte(job), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if job != string(want) {
				t.Errorf("rendered job differs from %s (run with -update to accept it):\n%s", golden, job)
			}
		})
	}
}

// TestRealPackRendersTheJobsItPromises reads each rendering back with HCL's
// parser and checks what a user relies on, beyond the golden files' bytes.
func TestRealPackRendersTheJobsItPromises(t *testing.T) {
	p, err := Load(realPack)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range renderCases() {
		t.Run(c.name, func(t *testing.T) {
			src := renderReal(t, p, c)
			o := c.overrides()
			dsn := o["dsn"] // "": the Variable's
			err := checkJob(src, wantJob{
				jobName: o["job_name"], deployName: o["deploy_name"], source: c.meta()["source"],
				sourceDir: o["source_dir"], commit: c.meta()["commit"], binary: o["binary"],
				artifactURL: o["artifact_url"], artifactChecksum: o["artifact_checksum"],
				dsn: dsn, driver: c.driver,
			})
			if err != nil {
				t.Fatal(err)
			}
			for what, problem := range meshProblems(t, src, c) {
				t.Errorf("%s: %s", what, problem)
			}
		})
	}
}

// meshProblems checks the network and Connect parts of a rendered job and
// returns what differs from the case's expectations, keyed by what it is.
func meshProblems(t *testing.T, src string, c renderCase) map[string]string {
	t.Helper()
	body, err := parseHCL("rendered.nomad", src)
	if err != nil {
		t.Fatal(err)
	}
	job, err := only(body, "job")
	if err != nil {
		t.Fatal(err)
	}
	group, err := only(job.Body, "group")
	if err != nil {
		t.Fatal(err)
	}
	o := c.overrides()
	port := cmp.Or(o["app_port"], "5000")
	// The pack's default host network is nomad.hcl's "mesh"; "" means none.
	hostNetwork := `"mesh"`
	if hn, set := o["host_network"]; set {
		hostNetwork = fmt.Sprintf("%q", hn)
		if hn == "" {
			hostNetwork = "<absent>"
		}
	}
	listen := "127.0.0.1"
	want := map[string]string{
		"job datacenters":             strings.ReplaceAll(cmp.Or(o["datacenters"], `["*"]`), ", ", " "),
		"group shutdown_delay":        `"3s"`,
		"network mode":                `"bridge"`,
		"http port to":                port,
		"http port host_network":      hostNetwork,
		"proxy port to":               "-1",
		"proxy port host_network":     hostNetwork,
		"sidecar_service port":        `"connect_proxy"`,
		"disable_default_tcp_check":   "true",
		"proxy local_service_port":    port,
		"sidecar_task shutdown_delay": `"3s"`,
		"check expose":                "true",
		"check address_mode":          "<absent>",
		"sidecar_task driver":         "<absent>",
		"sidecar_task config command": "<no config>",
		"sidecar_task config args":    "<no config>",
	}
	switch c.sidecar {
	case "envoy_raw_exec":
		want["sidecar_task driver"] = `"raw_exec"`
		// A shell starts Envoy from the allocation directory (see the template).
		want["sidecar_task config command"] = `"/bin/sh"`
		want["sidecar_task config args"] = fmt.Sprintf("%q", []string{
			"-c", `cd "$NOMAD_ALLOC_DIR/.." && exec "$0" -c "$NOMAD_SECRETS_DIR/envoy_bootstrap.json" -l "$1" --concurrency "$2" --disable-hot-restart --drain-time-s 1 --drain-strategy immediate`,
			"envoy", "${meta.connect.log_level}", "${meta.connect.proxy_concurrency}"}) // Nomad interpolates these
	case "consul_proxy":
		listen = "0.0.0.0"
		want["check expose"] = "<absent>"
		want["check address_mode"] = `"alloc"`
		want["sidecar_task driver"] = `"raw_exec"`
		want["sidecar_task config command"] = `"consul"`
		args := []string{"connect", "proxy"}
		// The pack's default is the unix socket consul.hcl opens; "" means none.
		httpAddr, set := o["consul_http_addr"]
		if !set {
			httpAddr = "unix:///run/microwizard/consul_http.sock"
		}
		if httpAddr != "" {
			args = append(args, "-http-addr", httpAddr)
		}
		args = append(args, "-service", "lobsters-popularity", "-service-addr", "127.0.0.1:"+port,
			"-listen", "0.0.0.0:${NOMAD_PORT_connect_proxy}") // Nomad interpolates it when it starts the task
		want["sidecar_task config args"] = fmt.Sprintf("%q", args)
	}
	want["env POPULARITY_ADDR"] = fmt.Sprintf("%q", listen+":"+port)

	g := group.Body
	network, netErr := only(g, "network")
	portBlock := func(label string) (*hclsyntax.Block, error) {
		if netErr != nil {
			return nil, netErr
		}
		return labeled(network.Body, "port", label)
	}
	httpPort, httpErr := portBlock("http")
	proxyPort, proxyErr := portBlock("connect_proxy")
	check, checkErr := only(g, "service", "check")
	sidecarService, ssErr := only(g, "service", "connect", "sidecar_service")
	proxy, proxyBlockErr := only(g, "service", "connect", "sidecar_service", "proxy")
	sidecarTask, stErr := only(g, "service", "connect", "sidecar_task")
	env, envErr := only(g, "task", "env")
	sidecarConfig := func(name string) string {
		if stErr == nil && len(blocksOf(sidecarTask.Body, "config")) == 0 {
			return "<no config>"
		}
		cfg, err := only(g, "service", "connect", "sidecar_task", "config")
		return valueText(cfg, err, name, nomadRuntime)
	}
	got := map[string]string{
		"job datacenters":             valueText(job, nil, "datacenters", nil),
		"group shutdown_delay":        valueText(group, nil, "shutdown_delay", nil),
		"network mode":                valueText(network, netErr, "mode", nil),
		"http port to":                valueText(httpPort, httpErr, "to", nil),
		"http port host_network":      valueText(httpPort, httpErr, "host_network", nil),
		"proxy port to":               valueText(proxyPort, proxyErr, "to", nil),
		"proxy port host_network":     valueText(proxyPort, proxyErr, "host_network", nil),
		"sidecar_service port":        valueText(sidecarService, ssErr, "port", nil),
		"disable_default_tcp_check":   valueText(sidecarService, ssErr, "disable_default_tcp_check", nil),
		"proxy local_service_port":    valueText(proxy, proxyBlockErr, "local_service_port", nil),
		"sidecar_task shutdown_delay": valueText(sidecarTask, stErr, "shutdown_delay", nil),
		"check expose":                valueText(check, checkErr, "expose", nil),
		"check address_mode":          valueText(check, checkErr, "address_mode", nil),
		"sidecar_task driver":         valueText(sidecarTask, stErr, "driver", nil),
		"sidecar_task config command": sidecarConfig("command"),
		"sidecar_task config args":    sidecarConfig("args"),
		"env POPULARITY_ADDR":         valueText(env, envErr, "POPULARITY_ADDR", nil),
	}
	problems := map[string]string{}
	for what, w := range want {
		if got[what] != w {
			problems[what] = fmt.Sprintf("got %s, want %s", got[what], w)
		}
	}
	return problems
}
