package mesh_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	consul "github.com/hashicorp/consul/api"

	"microwizard/internal/personal"
	"microwizard/internal/svctl/mesh"
	"microwizard/internal/testenv/consultest"
)

const service = "lobsters-popularity"

func resolverOf(t *testing.T, c *consul.Client) *consul.ServiceResolverConfigEntry {
	t.Helper()
	e, _, err := c.ConfigEntries().Get(consul.ServiceResolver, service, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.(*consul.ServiceResolverConfigEntry)
}

func routerOf(t *testing.T, c *consul.Client) *consul.ServiceRouterConfigEntry {
	t.Helper()
	e, _, err := c.ConfigEntries().Get(consul.ServiceRouter, service, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.(*consul.ServiceRouterConfigEntry)
}

// chainTargets compiles the service's discovery chain in Consul, as the
// monolith's sidecar gets it, and returns its targets' subsets.
func chainTargets(t *testing.T, c *consul.Client) []string {
	t.Helper()
	resp, _, err := c.DiscoveryChain().Get(service, nil, nil)
	if err != nil {
		t.Fatalf("compile the discovery chain of %s: %v", service, err)
	}
	var subsets []string
	for _, tg := range resp.Chain.Targets {
		subsets = append(subsets, tg.ServiceSubset)
	}
	return subsets
}

// TestPersonalRoutingInConsul walks a version through private, a profile
// switch, promote, demote and forget, and checks what Consul holds at each
// step: a route on its baggage member to its own subset, which falls back to
// the shared subset, and a shared subset without it while it is private.
func TestPersonalRoutingInConsul(t *testing.T) {
	c := consultest.Start(t).Client

	if err := mesh.SetMode(c, service, "lobpop_v2", mesh.Private); err == nil || !strings.Contains(err.Error(), "svctl mesh tutorial") {
		t.Fatalf("SetMode with no profile applied: err = %v, want one saying to apply a profile", err)
	}
	if _, _, err := c.ConfigEntries().Get(consul.ServiceResolver, service, nil); err == nil {
		t.Fatal("the refused SetMode wrote a resolver")
	}

	if _, err := mesh.Apply(c, envoyDir, "tutorial"); err != nil {
		t.Fatal(err)
	}
	fileRoutes := len(routerOf(t, c).Routes)
	if err := mesh.SetMode(c, service, "lobpop_v2", mesh.Private); err != nil {
		t.Fatalf("make lobpop_v2 private: %v", err)
	}
	subset := mesh.SubsetName("lobpop_v2")
	res := resolverOf(t, c)
	if res.DefaultSubset != mesh.SharedSubset {
		t.Errorf("default subset = %q, want %q", res.DefaultSubset, mesh.SharedSubset)
	}
	if f := res.Subsets[mesh.SharedSubset].Filter; f != `Service.Meta.private != "1" and (Service.Meta.deploy_name != "lobpop_v2" or Service.Meta.namespace != "default")` {
		t.Errorf("shared subset filter = %q, want one leaving lobpop_v2 out", f)
	}
	if f := res.Subsets[subset].Filter; f != `Service.Meta.deploy_name == "lobpop_v2" and Service.Meta.namespace == "default"` {
		t.Errorf("lobpop_v2's subset filter = %q", f)
	}
	if fo := res.Failover[subset]; fo.ServiceSubset != mesh.SharedSubset {
		t.Errorf("lobpop_v2's subset fails over to %+v, want the shared subset", fo)
	}
	if res.LoadBalancer == nil || res.LoadBalancer.Policy != "round_robin" {
		t.Errorf("the tutorial's round robin was lost: %+v", res.LoadBalancer)
	}
	router := routerOf(t, c)
	if len(router.Routes) != fileRoutes+1 {
		t.Fatalf("router has %d routes, want the file's %d and one personal route", len(router.Routes), fileRoutes)
	}
	first := router.Routes[0]
	if h := first.Match.HTTP.Header; len(h) != 1 || h[0].Name != "baggage" || h[0].Regex != personal.HeaderRegex("lobpop_v2") {
		t.Errorf("personal route matches %+v, want the baggage member of lobpop_v2", first.Match.HTTP)
	}
	if first.Destination.ServiceSubset != subset || first.Destination.NumRetries != 2 || first.Destination.RequestTimeout.String() != "30s" {
		t.Errorf("personal route goes to %+v, want lobpop_v2's subset with the profile's retries and timeout", first.Destination)
	}
	if got := chainTargets(t, c); len(got) < 2 {
		t.Errorf("the compiled chain has targets %v, want the shared and lobpop_v2's subsets", got)
	}
	assertMode(t, c, "lobpop_v2", mesh.Private)

	// A second private version, and the profile switched: both keep their
	// routes, now with the resilient profile's settings.
	if err := mesh.SetMode(c, service, "lobpop_v3", mesh.Private); err != nil {
		t.Fatal(err)
	}
	if _, err := mesh.Apply(c, envoyDir, "resilient"); err != nil {
		t.Fatalf("apply resilient with private versions: %v", err)
	}
	assertProfile(t, c, "resilient")
	res = resolverOf(t, c)
	if res.LoadBalancer == nil || res.LoadBalancer.Policy != "least_request" {
		t.Errorf("resilient's least request was lost: %+v", res.LoadBalancer)
	}
	if f := res.Subsets[mesh.SharedSubset].Filter; f != `Service.Meta.private != "1" and (Service.Meta.deploy_name != "lobpop_v2" or Service.Meta.namespace != "default") and (Service.Meta.deploy_name != "lobpop_v3" or Service.Meta.namespace != "default")` {
		t.Errorf("shared subset filter under resilient = %q", f)
	}
	if n := len(routerOf(t, c).Routes); n != 3 {
		t.Errorf("resilient router has %d routes, want 2 personal and its own", n)
	}
	assertMode(t, c, "lobpop_v3", mesh.Private)

	// Promote: in general rotation, still reached by its member.
	if err := mesh.SetMode(c, service, "lobpop_v2", mesh.Shared); err != nil {
		t.Fatal(err)
	}
	if f := resolverOf(t, c).Subsets[mesh.SharedSubset].Filter; f != `(Service.Meta.private != "1" or (Service.Meta.deploy_name == "lobpop_v2" and Service.Meta.namespace == "default")) and (Service.Meta.deploy_name != "lobpop_v3" or Service.Meta.namespace != "default")` {
		t.Errorf("after promoting lobpop_v2 the shared filter is %q, want lobpop_v2 in and only lobpop_v3 left out", f)
	}
	assertMode(t, c, "lobpop_v2", mesh.Shared)

	// Forget both: the profile's files as they are.
	for _, v := range []string{"lobpop_v2", "lobpop_v3"} {
		if err := mesh.Forget(c, service, v); err != nil {
			t.Fatal(err)
		}
	}
	res = resolverOf(t, c)
	if res.DefaultSubset != mesh.SharedSubset || len(res.Subsets) != 1 || res.Subsets[mesh.SharedSubset].Filter != mesh.SharedFilterBase || len(res.Failover) != 0 {
		t.Errorf("after forgetting every version the resolver is not the file's (the shared subset alone, %s): %+v", mesh.SharedFilterBase, res)
	}
	if n := len(routerOf(t, c).Routes); n != fileRoutes {
		t.Errorf("after forgetting every version the router has %d routes, want the file's %d", n, fileRoutes)
	}
}

func assertMode(t *testing.T, c *consul.Client, version string, want mesh.Mode) {
	t.Helper()
	vs, _, err := mesh.ReadVersions(c, service)
	if err != nil {
		t.Fatal(err)
	}
	if got := vs.Mode(version); got != want {
		t.Errorf("%s is %s in Consul, want %s (all: %v)", version, got, want, vs)
	}
}

func TestSubsetNamesAreValidAndDistinct(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`) // Consul's rule for subset names
	seen := map[string]string{}
	for _, v := range []string{"lobpop_v1", "lobpop-v1", "LobPop_V1", "a1b", strings.Repeat("x", 40)} {
		s := mesh.SubsetName(v)
		if !valid.MatchString(s) || len(s) > 63 {
			t.Errorf("SubsetName(%q) = %q, not a valid subset name", v, s)
		}
		if prev, dup := seen[s]; dup {
			t.Errorf("%q and %q share the subset %q", prev, v, s)
		}
		seen[s] = v
	}
}

// TestConcurrentPrivateRunsLoseNoRoute: ten versions made private at the
// same moment, as ten developers' `run --private` do, then half of them
// forgotten at once, as their stops do: Consul ends with exactly the routes
// and subsets of the versions left, none lost to another's write.
func TestConcurrentPrivateRunsLoseNoRoute(t *testing.T) {
	c := consultest.Start(t).Client
	if _, err := mesh.Apply(c, envoyDir, "tutorial"); err != nil {
		t.Fatal(err)
	}
	fileRoutes := len(routerOf(t, c).Routes)
	var names []string
	for i := range 10 {
		names = append(names, fmt.Sprintf("dev%02d_v1", i))
	}
	at := func(what string, f func(name string) error, names []string) {
		t.Helper()
		errs := make(chan error, len(names))
		var wg sync.WaitGroup
		for _, n := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- f(n)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
	}
	check := func(want []string) {
		t.Helper()
		vs, _, err := mesh.ReadVersions(c, service)
		if err != nil {
			t.Fatal(err)
		}
		res, router := resolverOf(t, c), routerOf(t, c)
		if len(vs) != len(want) || len(router.Routes) != fileRoutes+len(want) || len(res.Subsets) != len(want)+1 {
			t.Errorf("%d versions recorded, %d personal routes, %d subsets; want %d of each (and the shared subset)", len(vs), len(router.Routes)-fileRoutes, len(res.Subsets)-1, len(want))
		}
		for _, n := range want {
			if vs[n] != mesh.Private {
				t.Errorf("%s is %q, want private", n, vs[n])
			}
			if _, ok := res.Subsets[mesh.SubsetName(n)]; !ok {
				t.Errorf("%s has no subset", n)
			}
			routed := false
			for _, r := range router.Routes {
				if r.Destination != nil && r.Destination.ServiceSubset == mesh.SubsetName(n) {
					routed = true
				}
			}
			if !routed {
				t.Errorf("%s has no route", n)
			}
		}
	}
	at("private", func(n string) error { return mesh.SetMode(c, service, n, mesh.Private) }, names)
	check(names)
	at("forget", func(n string) error { return mesh.Forget(c, service, n) }, names[:5])
	check(names[5:])
}

// TestTheFilesFailClosed: every profile's resolver, as its file has it
// (as `consul config write` applies it, with no svctl), sends requests to
// the shared subset, which leaves out the instances run as private
// versions; checked against Consul's own filter on registered instances.
func TestTheFilesFailClosed(t *testing.T) {
	agent := consultest.Start(t)
	c := agent.Client
	for i, meta := range []map[string]string{
		{"deploy_name": "plain_v1"},
		{"deploy_name": "mine_v2", "private": "1"},
		{"deploy_name": "old_v0"}, // from before svctl marked instances
	} {
		reg := &consul.AgentServiceRegistration{ID: fmt.Sprintf("%s-%d", service, i), Name: service, Port: 9000 + i, Meta: meta}
		if err := c.Agent().ServiceRegister(reg); err != nil {
			t.Fatal(err)
		}
	}
	profiles, err := mesh.Profiles(envoyDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range profiles {
		e, err := mesh.LoadFile(filepath.Join(envoyDir, "profiles", p, "service-resolver.hcl"))
		if err != nil {
			t.Fatal(err)
		}
		res := e.(*consul.ServiceResolverConfigEntry)
		shared, ok := res.Subsets[mesh.SharedSubset]
		if res.DefaultSubset != mesh.SharedSubset || !ok {
			t.Fatalf("profile %s's resolver does not send requests to the %s subset: %+v", p, mesh.SharedSubset, res)
		}
		entries, _, err := c.Health().Service(service, "", false, &consul.QueryOptions{Filter: shared.Filter})
		if err != nil {
			t.Fatalf("profile %s's shared filter %q: %v", p, shared.Filter, err)
		}
		var got []string
		for _, en := range entries {
			got = append(got, en.Service.Meta["deploy_name"])
		}
		sort.Strings(got)
		if strings.Join(got, ",") != "old_v0,plain_v1" {
			t.Errorf("profile %s's shared subset selects %v, want every instance but the private one", p, got)
		}
	}
}

// TestNamespacesKeepTheirRoutes: a version's route is its namespace's. The
// same NAME routed in another namespace is refused (baggage names NAME
// alone); forgetting a NAME in one namespace leaves another's route; the
// subsets select by namespace.
func TestNamespacesKeepTheirRoutes(t *testing.T) {
	c := consultest.Start(t).Client
	if _, err := mesh.Apply(c, envoyDir, "tutorial"); err != nil {
		t.Fatal(err)
	}
	a := mesh.Key("team-a", "mine_v2")
	if err := mesh.SetMode(c, service, a, mesh.Private); err != nil {
		t.Fatal(err)
	}
	var elsewhere *mesh.RoutedElsewhereError
	if err := mesh.SetMode(c, service, mesh.Key("team-b", "mine_v2"), mesh.Private); !errors.As(err, &elsewhere) || elsewhere.Namespace != "team-a" {
		t.Errorf("mine_v2 made private in team-b while team-a routes it: %v, want a refusal naming team-a", err)
	}
	if err := mesh.Forget(c, service, mesh.Key("team-b", "mine_v2")); err != nil {
		t.Fatal(err)
	}
	vs, _, err := mesh.ReadVersions(c, service)
	if err != nil {
		t.Fatal(err)
	}
	if vs[a] != mesh.Private || len(vs) != 1 {
		t.Errorf("after team-b's forget the versions are %v, want team-a's mine_v2 private, alone", vs)
	}
	if f := resolverOf(t, c).Subsets[mesh.SubsetName(a)].Filter; f != `Service.Meta.deploy_name == "mine_v2" and Service.Meta.namespace == "team-a"` {
		t.Errorf("team-a's mine_v2 subset filter = %q", f)
	}
	if ns, name := mesh.SplitKey(a); ns != "team-a" || name != "mine_v2" {
		t.Errorf("SplitKey(%q) = %q, %q", a, ns, name)
	}
}
