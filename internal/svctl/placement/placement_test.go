package placement

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/svctl/datadir"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/pack"
	"microwizard/internal/svctl/render"
	"microwizard/internal/svctl/request"
	"microwizard/internal/svctl/snapshot"
)

// repoRoot is the top of the repository the test runs in.
func repoRoot(t *testing.T) string {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// clusterNode is a node of a cluster: not this machine.
var clusterNode = deploy.Node{Name: "n1", Datacenter: "dc1", Ready: true, OS: "linux", Arch: "amd64", Address: "10.77.0.2",
	HealthyDrivers: map[string]bool{"raw_exec": true, "exec": true, "docker": true}}

// TestClusterJobNamesNoLocalPath renders the job a run submits to a cluster
// (published, with the values the pack's cluster block sets and the
// sidecar chosen there) and checks it names no path of the developer's
// machine: not the repository, not svctl's data dir, not the home
// directory, not the demo's MySQL socket; the binary comes from the store,
// checked.
func TestClusterJobNamesNoLocalPath(t *testing.T) {
	root := repoRoot(t)
	p, err := pack.Load(filepath.Join(root, "packs", "lobsters-popularity"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := artifacts.New(artifacts.Config{Bucket: "svctl", Prefix: "runs", Endpoint: "http://10.77.0.2:8333"})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := datadir.Default()
	home, _ := os.UserHomeDir()
	for _, driver := range []string{"raw_exec", "exec", "docker"} {
		r, err := request.New(p, "lobpop_v1", snapshot.Source{Kind: snapshot.UncommittedCopy}, "0123456789abcdef", map[string]string{"driver": driver})
		if err != nil {
			t.Fatal(err)
		}
		node := clusterNode
		if driver != "docker" {
			node.HealthyDrivers = map[string]bool{"raw_exec": true, "exec": true}
		}
		tgt, err := Choose([]deploy.Node{node}, r, store, false)
		if err != nil {
			t.Fatal(err)
		}
		if !tgt.Cluster || !tgt.Published() {
			t.Fatalf("driver %s: a node that is not this machine is not a cluster target: %+v", driver, tgt)
		}
		chosen := tgt.Values
		sidecar, err := Sidecar(tgt, r, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range sidecar {
			chosen[k] = v
		}
		art := render.Artifact{URL: "http://10.77.0.2:8333/svctl/runs/sha256/ab/lobsters-popularity", Checksum: "sha256:ab"}
		built := render.Built{Commit: r.Commit, BinaryArtifact: art}
		if driver == "docker" {
			built.SourceArtifact = art
		}
		job, err := render.Job(r.ForJob("lobsters-popularity-lobpop_v1-abcdef", "dev@example.com"), built, chosen)
		if err != nil {
			t.Fatal(err)
		}
		for _, local := range []string{root, string(data), home, "/run/microwizard"} {
			if local != "" && local != "/" && strings.Contains(job, local) {
				t.Errorf("driver %s: the cluster job names %s, a path of this machine:\n%s", driver, local, job)
			}
		}
		if !strings.Contains(job, `checksum = "sha256:ab"`) || !strings.Contains(job, art.URL) {
			t.Errorf("driver %s: the job does not fetch the published binary with its checksum:\n%s", driver, job)
		}
		if !strings.Contains(job, `destination_name = "mysql"`) {
			t.Errorf("driver %s: the job does not reach MySQL through its upstream, as the pack's cluster block says:\n%s", driver, job)
		}
		if strings.Contains(job, "LOBSTERS_DSN ") || !strings.Contains(job, `nomadVar \"nomad/jobs\"`) {
			t.Errorf("driver %s: the job carries a DSN, not the Nomad Variable that holds it:\n%s", driver, job)
		}
	}
}

// TestAClusterRunIsIsolatedWhereItCanBe: on a cluster, a run that names no
// driver runs under exec (the pack's cluster block) where every node has
// it; where one lacks it, it keeps raw_exec and says so, and that the
// service then runs as root on the node; a driver the user gives is kept.
func TestAClusterRunIsIsolatedWhereItCanBe(t *testing.T) {
	p, err := pack.Load(filepath.Join(repoRoot(t), "packs", "lobsters-popularity"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := artifacts.New(artifacts.Config{Bucket: "svctl", Prefix: "runs", Endpoint: "http://10.77.0.2:8333"})
	if err != nil {
		t.Fatal(err)
	}
	noExec := clusterNode
	noExec.Name, noExec.HealthyDrivers = "n2", map[string]bool{"raw_exec": true}
	for _, c := range []struct {
		name   string
		vars   map[string]string
		nodes  []deploy.Node
		driver string
		why    []string
	}{
		{"every node has exec", nil, []deploy.Node{clusterNode}, "exec", []string{"driver exec"}},
		{"a node lacks exec", nil, []deploy.Node{clusterNode, noExec}, "raw_exec", []string{"driver=exec left out: node n2 has no healthy exec driver", "runs as root on the node"}},
		{"raw_exec asked for", map[string]string{"driver": "raw_exec"}, []deploy.Node{clusterNode}, "raw_exec", []string{"runs as root on the node"}},
	} {
		r, err := request.New(p, "lobpop_v1", snapshot.Source{Kind: snapshot.UncommittedCopy}, "0123456789abcdef", c.vars)
		if err != nil {
			t.Fatal(err)
		}
		tgt, err := Choose(c.nodes, r, store, false)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := tgt.Placement.Driver
		if d, ok := tgt.Values["driver"]; ok {
			got = d
		}
		if v, ok := c.vars["driver"]; ok {
			got = v
		}
		if got != c.driver || tgt.Placement.Driver != c.driver {
			t.Errorf("%s: driver %q (placement %q, values %v), want %s", c.name, got, tgt.Placement.Driver, tgt.Values, c.driver)
		}
		for _, w := range c.why {
			if !strings.Contains(tgt.Why, w) {
				t.Errorf("%s: the run says %q, want it to say %q", c.name, tgt.Why, w)
			}
		}
	}
}

// TestAPackThatAsksForNothingGetsNothing: a pack without cluster and
// sidecar blocks gets no variable from the target, on a cluster or here.
func TestAPackThatAsksForNothingGetsNothing(t *testing.T) {
	p, err := pack.Load(filepath.Join(repoRoot(t), "e2e", "testdata", "packs", "greeter"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := request.New(p, "greet_v1", snapshot.Source{Kind: snapshot.UncommittedCopy}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := artifacts.New(artifacts.Config{Bucket: "svctl", Prefix: "runs", Endpoint: "http://10.77.0.2:8333"})
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := Choose([]deploy.Node{clusterNode}, r, store, false)
	if err != nil {
		t.Fatal(err)
	}
	sidecar, err := Sidecar(tgt, r, io.Discard)
	if len(tgt.Values) != 0 || sidecar != nil || err != nil {
		t.Errorf("the target sets %v and the sidecar %v (%v) for a pack that asks for nothing", tgt.Values, sidecar, err)
	}
}

// TestConsulProxyIsRefusedOnACluster: the user's choice of Consul's L4
// proxy cannot run on a cluster, and is refused as bad input.
func TestConsulProxyIsRefusedOnACluster(t *testing.T) {
	p, err := pack.Load(filepath.Join(repoRoot(t), "packs", "lobsters-popularity"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := request.New(p, "lobpop_v1", snapshot.Source{Kind: snapshot.UncommittedCopy}, "", map[string]string{"sidecar": "consul_proxy"})
	if err != nil {
		t.Fatal(err)
	}
	store, _ := artifacts.New(artifacts.Config{Bucket: "svctl", Prefix: "runs", Endpoint: "http://10.77.0.2:8333"})
	tgt, err := Choose([]deploy.Node{clusterNode}, r, store, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Sidecar(tgt, r, io.Discard)
	var bad *request.InputError
	if err == nil || !strings.Contains(err.Error(), "consul_proxy") || !errors.As(err, &bad) {
		t.Errorf("consul_proxy on a cluster: %v, want it refused as bad input", err)
	}
}
