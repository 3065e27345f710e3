package mesh_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	consul "github.com/hashicorp/consul/api"

	"microwizard/internal/consuldev"
	"microwizard/internal/svctl/mesh"
	"microwizard/internal/testenv/consultest"
)

const envoyDir = "../../../envoy"

func TestEveryProfileLoads(t *testing.T) {
	profiles, err := mesh.Profiles(envoyDir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(profiles, ",") != "resilient,tutorial" {
		t.Fatalf("profiles = %v, want resilient and tutorial", profiles)
	}
	for _, p := range profiles {
		entries, err := mesh.Load(envoyDir, p)
		if err != nil {
			t.Fatalf("load %s: %v", p, err)
		}
		keys := map[string]bool{}
		for _, e := range entries {
			keys[e.Key()] = true
		}
		for _, want := range []string{"service-defaults/lobsters-popularity", "service-intentions/*", "service-intentions/lobsters-popularity", "service-defaults/lobsters"} {
			if !keys[want] {
				t.Errorf("profile %s lacks %s (has %v)", p, want, keys)
			}
		}
	}
}

func TestUnknownProfileNamesTheKnownOnes(t *testing.T) {
	_, err := mesh.Load(envoyDir, "fast")
	if err == nil || !strings.Contains(err.Error(), "resilient, tutorial") {
		t.Fatalf("err = %v, want one listing resilient, tutorial", err)
	}
}

// TestEveryFileIsAPlainConfigEntry: each file under envoy/ is accepted as
// it is by `consul config write`, the tool Consul users apply entries with.
func TestEveryFileIsAPlainConfigEntry(t *testing.T) {
	agent := consultest.Start(t)
	bin, err := consuldev.Binary()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(envoyDir, "*.hcl"))
	more, _ := filepath.Glob(filepath.Join(envoyDir, "profiles", "*", "*.hcl"))
	files = append(files, more...)
	if len(files) < 10 {
		t.Fatalf("found only %d files under %s: %v", len(files), envoyDir, files)
	}
	for _, f := range files {
		cmd := exec.Command(bin, "config", "write", f)
		cmd.Env = append(os.Environ(), agent.Env()...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("consul config write %s: %v: %s", f, err, out)
		}
	}
}

// TestFunctionsAndVariablesAreRefused: a file consul config write would
// refuse is refused when svctl reads it.
func TestFunctionsAndVariablesAreRefused(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"var.hcl":  "Kind = \"service-defaults\"\nName = \"x\"\nProtocol = proto\n",
		"func.hcl": "Kind = \"service-defaults\"\nName = lower(\"X\")\n",
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(text), 0o644)
		if _, err := mesh.LoadFile(path); err == nil {
			t.Errorf("%s loaded; want an error", name)
		}
	}
}

func TestBlockSyntaxIsAClearError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.hcl")
	os.WriteFile(path, []byte("Kind = \"service-resolver\"\nName = \"x\"\nLoadBalancer {\n  Policy = \"random\"\n}\n"), 0o644)
	_, err := mesh.LoadFile(path)
	if err == nil || !strings.Contains(err.Error(), "attribute syntax") {
		t.Fatalf("err = %v, want an attribute-syntax error", err)
	}
}

// TestSwitchProfilesLive applies each profile to a real Consul and checks
// what Consul then holds.
func TestSwitchProfilesLive(t *testing.T) {
	agent := consultest.Start(t)
	c := agent.Client

	if err := mesh.CheckApplied(c, "lobsters-popularity"); err == nil {
		t.Fatal("CheckApplied passed before anything was applied")
	}
	if _, err := mesh.Apply(c, envoyDir, "tutorial"); err != nil {
		t.Fatalf("apply tutorial: %v", err)
	}
	if err := mesh.CheckApplied(c, "lobsters-popularity"); err != nil {
		t.Fatalf("CheckApplied after tutorial: %v", err)
	}
	assertProfile(t, c, "tutorial")
	r, _, err := c.ConfigEntries().Get(consul.ServiceResolver, "lobsters-popularity", nil)
	if err != nil {
		t.Fatalf("tutorial resolver: %v", err)
	}
	if p := r.(*consul.ServiceResolverConfigEntry).LoadBalancer.Policy; p != "round_robin" {
		t.Fatalf("tutorial policy = %q, want round_robin", p)
	}

	if _, err := mesh.Apply(c, envoyDir, "resilient"); err != nil {
		t.Fatalf("apply resilient: %v", err)
	}
	assertProfile(t, c, "resilient")
	r, _, err = c.ConfigEntries().Get(consul.ServiceResolver, "lobsters-popularity", nil)
	if err != nil {
		t.Fatalf("resilient resolver: %v", err)
	}
	if p := r.(*consul.ServiceResolverConfigEntry).LoadBalancer.Policy; p != "least_request" {
		t.Fatalf("resilient policy = %q, want least_request", p)
	}
	e, _, err := c.ConfigEntries().Get(consul.ServiceDefaults, "lobsters-popularity", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ms := e.(*consul.ServiceConfigEntry).LocalRequestTimeoutMs; ms != 200 {
		t.Fatalf("resilient per-try timeout (LocalRequestTimeoutMs) = %d, want 200", ms)
	}

	// And back: the tutorial's entries return.
	if _, err := mesh.Apply(c, envoyDir, "tutorial"); err != nil {
		t.Fatalf("apply tutorial again: %v", err)
	}
	assertProfile(t, c, "tutorial")
}

func assertProfile(t *testing.T, c *consul.Client, want string) {
	t.Helper()
	got, err := mesh.ActiveProfile(c)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("active profile = %q, want %q", got, want)
	}
}
