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
		for _, want := range []string{"service-defaults/lobsters-popularity", "service-intentions/lobsters-popularity", "service-defaults/lobsters"} {
			if !keys[want] {
				t.Errorf("profile %s lacks %s (has %v)", p, want, keys)
			}
		}
		if keys["service-intentions/*"] {
			t.Errorf("profile %s holds service-intentions/*, the cluster's own set-up", p)
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
	setup, _ := filepath.Glob(filepath.Join(envoyDir, "setup", "*.hcl"))
	files = append(append(files, more...), setup...)
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

// TestMeshLeavesWhatIsNotItsOwn: on a cluster where a team allows
// billing -> payments and ops -> lobsters-popularity, applying a profile
// writes no service-intentions/*, leaves the payments intention as it is,
// keeps the ops source beside the project's own, and a second plan has
// nothing to change.
func TestMeshLeavesWhatIsNotItsOwn(t *testing.T) {
	c := consultest.Start(t).Client
	foreign := []consul.ConfigEntry{
		&consul.ServiceIntentionsConfigEntry{Kind: consul.ServiceIntentions, Name: "payments",
			Sources: []*consul.SourceIntention{{Name: "billing", Action: consul.IntentionActionAllow}}},
		&consul.ServiceIntentionsConfigEntry{Kind: consul.ServiceIntentions, Name: "lobsters-popularity",
			Sources: []*consul.SourceIntention{{Name: "ops", Action: consul.IntentionActionAllow}}},
	}
	for _, e := range foreign {
		if _, _, err := c.ConfigEntries().Set(e, nil); err != nil {
			t.Fatal(err)
		}
	}
	before, _, err := c.ConfigEntries().Get(consul.ServiceIntentions, "payments", nil)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := mesh.Apply(c, envoyDir, "tutorial")
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range changes {
		if ch.Key == consul.ServiceIntentions+"/*" || ch.Key == consul.ServiceIntentions+"/payments" {
			t.Errorf("svctl mesh changed %s", ch.Key)
		}
	}
	if _, _, err := c.ConfigEntries().Get(consul.ServiceIntentions, "*", nil); err == nil {
		t.Error("svctl mesh wrote service-intentions/*, the cluster's own")
	}
	after, _, err := c.ConfigEntries().Get(consul.ServiceIntentions, "payments", nil)
	if err != nil || after.GetModifyIndex() != before.GetModifyIndex() {
		t.Errorf("the payments intention was written (index %d, was %d; %v)", after.GetModifyIndex(), before.GetModifyIndex(), err)
	}
	e, _, err := c.ConfigEntries().Get(consul.ServiceIntentions, "lobsters-popularity", nil)
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, s := range e.(*consul.ServiceIntentionsConfigEntry).Sources {
		sources = append(sources, s.Name+"="+string(s.Action))
	}
	if got := strings.Join(sources, ","); got != "lobsters=allow,ops=allow" {
		t.Errorf("lobsters-popularity's sources = %s, want the project's lobsters and the team's ops", got)
	}
	if again, err := mesh.Plan(c, envoyDir, "tutorial"); err != nil || len(again) != 0 {
		t.Errorf("a second plan: %d changes (%v), want none", len(again), err)
		for _, ch := range again {
			t.Logf("%s:\n%s", ch.Key, ch.Diff)
		}
	}
}

// TestMeshDoesNotOverwriteAChangeMadeMeanwhile: an entry a teammate
// changes between the plan shown and its application is not overwritten.
func TestMeshDoesNotOverwriteAChangeMadeMeanwhile(t *testing.T) {
	c := consultest.Start(t).Client
	if _, err := mesh.Apply(c, envoyDir, "tutorial"); err != nil {
		t.Fatal(err)
	}
	changes, err := mesh.Plan(c, envoyDir, "resilient")
	if err != nil || len(changes) == 0 {
		t.Fatalf("plan resilient: %d changes, %v", len(changes), err)
	}
	var target mesh.Change
	for _, ch := range changes {
		if ch.Key == consul.ServiceDefaults+"/lobsters-popularity" {
			target = ch
		}
	}
	if target.Key == "" {
		t.Fatalf("the plan does not change service-defaults/lobsters-popularity: %v", changes)
	}
	// The teammate's change, after the plan was shown.
	e, _, err := c.ConfigEntries().Get(consul.ServiceDefaults, "lobsters-popularity", nil)
	if err != nil {
		t.Fatal(err)
	}
	sd := e.(*consul.ServiceConfigEntry)
	sd.LocalConnectTimeoutMs = 1234
	if _, _, err := c.ConfigEntries().Set(sd, nil); err != nil {
		t.Fatal(err)
	}
	err = mesh.ApplyPlan(c, changes)
	if err == nil || !strings.Contains(err.Error(), "changed in Consul since it was read") {
		t.Fatalf("ApplyPlan over a change made meanwhile: %v, want a refusal", err)
	}
	e, _, _ = c.ConfigEntries().Get(consul.ServiceDefaults, "lobsters-popularity", nil)
	if ms := e.(*consul.ServiceConfigEntry).LocalConnectTimeoutMs; ms != 1234 {
		t.Errorf("the teammate's change was overwritten: LocalConnectTimeoutMs = %d", ms)
	}
}

// TestAWildcardIntentionIsRefused: an envoy/ folder whose files include
// service-intentions/* (the cluster's own) is refused before anything is
// written.
func TestAWildcardIntentionIsRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "profiles", "p"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"deny.hcl":                "Kind = \"service-intentions\"\nName = \"*\"\nSources = [{ Name = \"*\", Action = \"deny\" }]\n",
		"profiles/p/defaults.hcl": "Kind = \"service-defaults\"\nName = \"web\"\nProtocol = \"http\"\nMeta = { profile = \"p\" }\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := mesh.Load(dir, "p"); err == nil || !strings.Contains(err.Error(), "service-intentions/*") {
		t.Errorf("Load of a folder with service-intentions/*: %v, want a refusal naming it", err)
	}
}
