package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"microwizard/lobsters/seed"
)

// The second pack's tests: svctl runs a service it was not written for, the
// greeter (testdata/greeter, pack testdata/packs/greeter), found through
// SVCTL_PACKS. It is not in the mesh: no sidecar, host networking.

// TestSecondPackRunsLocally: on the dev agent, svctl renders, runs, lists,
// reads the logs of and stops the greeter as it does lobsters-popularity,
// and nothing of lobsters-popularity's pack reaches its job.
func TestSecondPackRunsLocally(t *testing.T) {
	c := newCluster(t, seed.Small)
	g := withGreeterPack(&c.shell)
	svctl := filepath.Join(g.bin, "svctl")

	t.Log("svctl render: the greeter's job, nothing of lobsters-popularity's")
	job := g.stdout("render", "greeter", "greet_v1")
	for _, want := range []string{`job "greeter-greet_v1-`, `name     = "greeter"`, `SERVICE_VERSION  = "greet_v1"`, `GREETER_GREETING = "hello"`} {
		if !strings.Contains(job, want) {
			t.Errorf("svctl render greeter: the job has no %q:\n%s", want, job)
		}
	}
	for _, not := range []string{"LOBSTERS_DSN", "connect", "sidecar", "envoy", "mysql", "lobsters-popularity", "bridge"} {
		if strings.Contains(job, not) {
			t.Errorf("svctl render greeter: the job holds %q, of lobsters-popularity's pack:\n%s", not, job)
		}
	}

	t.Log("svctl run greeter greet_v1: one instance, healthy in Consul, answering")
	g.run(svctl, "run", "greeter", "greet_v1", "UNCOMMITTED_COPY")
	rows := g.greeterInstances()
	if len(rows) != 1 || rows[0].Service != "greeter" || rows[0].Name != "greet_v1" || rows[0].ConsulHealth != "passing" || rows[0].Address == "" {
		t.Fatalf("svctl ps -json greeter after one run: %+v, want one greeter greet_v1 passing, with an address", rows)
	}
	if lines := greeterPsLines(g.stdout("ps", "greeter")); len(lines) != 1 || lines[0][1] != "greet_v1" || lines[0][len(lines[0])-1] != "passing" {
		t.Fatalf("svctl ps greeter after one run lists %q, want one greet_v1, passing", lines)
	}
	first := rows[0]
	if got, err := greet(c.client, first.Address); err != nil || got != "hello from greet_v1: hello" {
		t.Fatalf("GET http://%s/: %q, %v; want %q", first.Address, got, err, "hello from greet_v1: hello")
	}
	g.expectGreetedLine("greet_v1", first.AllocID)

	t.Log("a second run of greet_v1, -var greeting=hi: a second instance, the first left alone")
	g.run(svctl, "run", "-var", "greeting=hi", "greeter", "greet_v1", "UNCOMMITTED_COPY")
	rows = g.greeterInstances()
	if len(rows) != 2 {
		t.Fatalf("svctl ps -json greeter after two runs: %+v, want two instances", rows)
	}
	said := map[string]bool{}
	for _, r := range rows {
		if r.Name != "greet_v1" || r.ConsulHealth != "passing" {
			t.Errorf("after two runs: %+v, want greet_v1, passing", r)
		}
		got, err := greet(c.client, r.Address)
		if err != nil {
			t.Errorf("GET http://%s/: %v", r.Address, err)
		}
		said[got] = true
	}
	if !said["hello from greet_v1: hello"] || !said["hello from greet_v1: hi"] {
		t.Errorf("the two instances said %v, want %q and %q", slices.Sorted(maps.Keys(said)), "hello from greet_v1: hello", "hello from greet_v1: hi")
	}
	if !hasRunningAlloc(rows, first.AllocID) {
		t.Errorf("the second run touched the first instance %s: %+v", first.AllocID, rows)
	}
	if lines := greeterPsLines(g.stdout("ps", "greeter")); len(lines) != 2 {
		t.Errorf("svctl ps greeter after two runs lists %q, want two instances", lines)
	}

	t.Log("svctl stop greet_v1: both go")
	g.run(svctl, "stop", "greet_v1")
	if rows := g.greeterInstances(); len(rows) != 0 {
		t.Fatalf("svctl ps -json greeter after the stop: %+v, want none", rows)
	}
	if lines := greeterPsLines(g.stdout("ps", "greeter")); len(lines) != 0 {
		t.Fatalf("svctl ps greeter after the stop lists %q, want none", lines)
	}
	if _, err := greet(c.client, first.Address); err == nil {
		t.Errorf("the stopped instance still answers at %s", first.Address)
	}
}

// TestSecondPackRunsOnACluster: on the multi-node cluster the greeter is
// published and runs on a node that is not this machine, from what the node
// fetched; it answers at its node's address, its logs come back, and svctl
// stop removes it.
func TestSecondPackRunsOnACluster(t *testing.T) {
	c := startMultiNode(t)
	g := withGreeterPack(&c.shell)
	svctl := filepath.Join(g.bin, "svctl")

	out := g.run(svctl, "run", "greeter", "greet_v1", "UNCOMMITTED_COPY")
	if !strings.Contains(out, "not this machine") || !strings.Contains(out, "publishing to") {
		t.Errorf("svctl run greeter on the cluster did not say it took the cluster path, and why:\n%s", out)
	}
	rows := g.greeterInstances()
	if len(rows) != 1 || rows[0].Name != "greet_v1" || rows[0].ConsulHealth != "passing" {
		t.Fatalf("svctl ps -json greeter: %+v, want one greet_v1, passing", rows)
	}
	r := rows[0]
	host, _, err := net.SplitHostPort(r.Address)
	if ip, ok := nodeIP[r.Node]; !ok || err != nil || host != ip {
		t.Fatalf("greet_v1 runs on node %q at %q, want n1 or n2 at its address %v", r.Node, r.Address, nodeIP)
	}

	t.Log("the job fetches a checked artifact and names no path of this machine")
	job := c.run("nomad", "job", "inspect", r.JobID)
	if !strings.Contains(job, "sha256:") {
		t.Errorf("job %s fetches no artifact with a checksum", r.JobID)
	}
	for _, local := range []string{c.repo, c.dataDir, repoRoot(t)} {
		if strings.Contains(job, local) {
			t.Errorf("job %s names %s, a path of this machine", r.JobID, local)
		}
	}

	t.Log("it answers at its node's address, across the cluster's bridge")
	if got, err := greet(c.client, r.Address); err != nil || got != "hello from greet_v1: hello" {
		t.Fatalf("GET http://%s/: %q, %v; want %q", r.Address, got, err, "hello from greet_v1: hello")
	}
	g.expectGreetedLine("greet_v1", r.AllocID)

	g.run(svctl, "stop", "greet_v1")
	if rows := g.greeterInstances(); len(rows) != 0 {
		t.Fatalf("svctl ps -json greeter after the stop: %+v, want none", rows)
	}
}

// withGreeterPack is s with svctl pointed at the test packs (the scratch
// repository's testdata/packs, which holds the greeter's pack) by
// SVCTL_PACKS. Its svctl runs are plain: the harness's cluster.svctl would
// give them the database (--var dsn), a variable the greeter does not have.
func withGreeterPack(s *shell) *shell {
	return s.with("SVCTL_PACKS=" + filepath.Join(s.repo, "e2e", "testdata", "packs"))
}

// greeterInstances returns svctl ps -json greeter.
func (s *shell) greeterInstances() []deployRow {
	s.t.Helper()
	var ps struct {
		Instances []deployRow `json:"instances"`
	}
	if err := json.Unmarshal([]byte(s.stdout("ps", "-json", "greeter")), &ps); err != nil {
		s.t.Fatalf("svctl ps -json greeter: %v", err)
	}
	return ps.Instances
}

// greeterPsLines returns the fields of the greeter's lines of svctl ps's
// table (service, name, ..., Consul health last).
func greeterPsLines(table string) [][]string {
	var lines [][]string
	for _, l := range strings.Split(table, "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[0] == "greeter" {
			lines = append(lines, f)
		}
	}
	return lines
}

// expectGreetedLine waits until svctl logs NAME shows allocation allocID's
// msg=greeted line, on its stderr.
func (s *shell) expectGreetedLine(name, allocID string) {
	s.t.Helper()
	var out string
	deadline := time.Now().Add(15 * time.Second)
	for {
		out = s.stdout("logs", name)
		if greetedLine(out, allocID) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("svctl logs %s has no msg=greeted line of allocation %s on stderr:\n%s", name, allocID, out)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// greetedLine reports whether svctl logs output has allocation allocID's
// msg=greeted line on stderr: "[SHORTID stderr] ... msg=greeted ...".
func greetedLine(out, allocID string) bool {
	for _, l := range strings.Split(out, "\n") {
		prefix, rest, ok := strings.Cut(l, " stderr] ")
		if ok && strings.HasPrefix(prefix, "[") && strings.HasPrefix(allocID, strings.TrimPrefix(prefix, "[")) && strings.Contains(rest, "msg=greeted") {
			return true
		}
	}
	return false
}

// greet returns what the greeter at addr (host:port) answers to GET /.
func greet(client *http.Client, addr string) (string, error) {
	resp, err := client.Get("http://" + addr + "/")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", resp.Status, body)
	}
	return strings.TrimSpace(string(body)), nil
}
