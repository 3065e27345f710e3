package mesh_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	consul "github.com/hashicorp/consul/api"

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
		entries, err := mesh.Load(envoyDir, p, mesh.Vars{TrustDomain: "abc.consul"})
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
	_, err := mesh.Load(envoyDir, "fast", mesh.Vars{})
	if err == nil || !strings.Contains(err.Error(), "resilient, tutorial") {
		t.Fatalf("err = %v, want one listing resilient, tutorial", err)
	}
}

func TestBlockSyntaxIsAClearError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.hcl")
	os.WriteFile(path, []byte("Kind = \"service-resolver\"\nName = \"x\"\nLoadBalancer {\n  Policy = \"random\"\n}\n"), 0o644)
	_, err := mesh.LoadFile(path, mesh.Vars{})
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
	if _, _, err := c.ConfigEntries().Get(consul.ServiceResolver, "lobsters-popularity", nil); err == nil {
		t.Fatal("the tutorial's service-resolver is still there under resilient")
	}
	e, _, err := c.ConfigEntries().Get(consul.ServiceDefaults, "lobsters", nil)
	if err != nil {
		t.Fatal(err)
	}
	ov := e.(*consul.ServiceConfigEntry).UpstreamConfig.Overrides
	if len(ov) != 1 || !strings.Contains(ov[0].EnvoyClusterJSON, "LEAST_REQUEST") || !strings.Contains(ov[0].EnvoyListenerJSON, "per_try_timeout") {
		t.Fatalf("resilient overrides = %+v", ov)
	}
	roots, _, _ := c.Connect().CARoots(nil)
	if !strings.Contains(ov[0].EnvoyClusterJSON, roots.TrustDomain) {
		t.Fatalf("cluster JSON does not name the trust domain %s", roots.TrustDomain)
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
