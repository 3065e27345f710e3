package access_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/svctl/access"
	"microwizard/internal/svctl/agents"
	"microwizard/internal/testenv/consultest"
	"microwizard/internal/testenv/nomadtest"
)

// nomadPolicies are the Nomad policies the tests' tokens hold: each a rule
// of Nomad's evaluation a user meets.
var nomadPolicies = map[string]string{
	// The developer of NOMAD-CONNECT-NOTES.md, in team-a.
	"dev": `namespace "team-a" {
  capabilities = ["submit-job", "read-job", "read-logs", "list-jobs"]
  variables {
    path "nomad/jobs/*" { capabilities = ["write", "read", "list"] }
    path "nomad/jobs" { capabilities = ["list"] }
  }
}
node { policy = "read" }`,
	"agent-only": `agent { policy = "read" }`,
	// The closest glob wins: team-* (read) over * (write) in team-a.
	"glob": `namespace "*" { policy = "write" }
namespace "team-*" { policy = "read" }`,
	// An exact block granting no capability beats the glob for its namespace.
	"exact": `namespace "*" { policy = "write" }
namespace "team-a" {
  variables {
    path "svctl/x" { capabilities = ["read"] }
  }
}`,
	"write-a":  `namespace "team-a" { policy = "write" }`,
	"deny-a":   `namespace "team-a" { policy = "deny" }`,
	"scale-a":  `namespace "team-a" { policy = "scale" }`,
	"readfs-a": `namespace "team-a" { capabilities = ["read-fs"] }`,
	// Held through a role only.
	"lifecycle": `namespace "*" { capabilities = ["alloc-lifecycle"] }`,
	// Variables globs over namespace and path; read brings list; deny.
	"vars-glob": `namespace "team-*" {
  variables {
    path "svctl/*" { capabilities = ["read"] }
    path "nomad/jobs/*" { capabilities = ["deny"] }
  }
}`,
	"node-deny": `node { policy = "deny" }`,
	// Written in JSON.
	"json-b": `{"namespace": {"team-b": {"capabilities": ["submit-job", "read-job"]}}}`,
	// What a request without a token holds.
	"anonymous": `namespace "team-b" { policy = "read" }`,
}

// nomadTokens are the tokens the tests compare Check and Nomad on: their
// policies, and those through a role.
var nomadTokens = []struct {
	name      string
	policies  []string
	rolePols  []string
	anonymous bool
}{
	{name: "dev", policies: []string{"dev"}},
	{name: "none", policies: []string{"agent-only"}},
	{name: "glob", policies: []string{"glob"}},
	{name: "exact", policies: []string{"exact"}},
	{name: "write-and-deny", policies: []string{"write-a", "deny-a"}},
	{name: "scale", policies: []string{"scale-a"}},
	{name: "read-fs", policies: []string{"readfs-a"}},
	{name: "role", policies: []string{"dev"}, rolePols: []string{"lifecycle"}},
	{name: "vars", policies: []string{"vars-glob", "dev"}},
	{name: "node-deny", policies: []string{"dev", "node-deny"}},
	{name: "json", policies: []string{"json-b"}},
	{name: "anonymous", anonymous: true},
}

// cluster is a Consul and a Nomad with ACLs on, a sleeping job in team-a
// and team-b, and variables at the paths the needs name.
type cluster struct {
	consul *consultest.Secured
	nomad  *nomadtest.Agent
	job    map[string]*nomad.Job        // by namespace
	alloc  map[string]*nomad.Allocation // by namespace
	tokens map[string]*nomad.ACLToken
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	nomadtest.Require(t, "access")
	c := &cluster{job: map[string]*nomad.Job{}, alloc: map[string]*nomad.Allocation{}, tokens: map[string]*nomad.ACLToken{}}
	c.consul = consultest.StartSecured(t, consultest.SecuredOptions{ACL: true})
	c.nomad = nomadtest.StartWith(t, repoRoot(t), nomadtest.Options{
		ConsulHTTPAddr: c.consul.HTTPAddr, ConsulGRPCAddr: c.consul.GRPCAddr, ConsulToken: c.consul.Token, ACL: true,
	})
	nc := c.nomad.Client
	for _, ns := range []string{"team-a", "team-b"} {
		if _, err := nc.Namespaces().Register(&nomad.Namespace{Name: ns}, nil); err != nil {
			t.Fatalf("namespace %s: %v", ns, err)
		}
		job := sleeper(ns)
		if _, _, err := nc.Jobs().Register(job, &nomad.WriteOptions{Namespace: ns}); err != nil {
			t.Fatalf("job in %s: %v", ns, err)
		}
		c.job[ns] = job
		for _, path := range []string{"nomad/jobs", "nomad/jobs/x", "svctl/x"} {
			v := &nomad.Variable{Namespace: ns, Path: path, Items: nomad.VariableItems{"k": "v"}}
			if _, _, err := nc.Variables().Create(v, &nomad.WriteOptions{Namespace: ns}); err != nil {
				t.Fatalf("variable %s in %s: %v", path, ns, err)
			}
		}
	}
	for name, rules := range nomadPolicies {
		if _, err := nc.ACLPolicies().Upsert(&nomad.ACLPolicy{Name: name, Rules: rules}, nil); err != nil {
			t.Fatalf("policy %s: %v", name, err)
		}
	}
	for _, tk := range nomadTokens {
		if tk.anonymous {
			continue
		}
		tok := &nomad.ACLToken{Name: tk.name, Type: "client", Policies: tk.policies}
		if len(tk.rolePols) > 0 {
			role := &nomad.ACLRole{Name: "role-" + tk.name}
			for _, p := range tk.rolePols {
				role.Policies = append(role.Policies, &nomad.ACLRolePolicyLink{Name: p})
			}
			role, _, err := nc.ACLRoles().Create(role, nil)
			if err != nil {
				t.Fatalf("role for %s: %v", tk.name, err)
			}
			tok.Roles = []*nomad.ACLTokenRoleLink{{ID: role.ID}}
		}
		tok, _, err := nc.ACLTokens().Create(tok, nil)
		if err != nil {
			t.Fatalf("token %s: %v", tk.name, err)
		}
		c.tokens[tk.name] = tok
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, ns := range []string{"team-a", "team-b"} {
		for {
			allocs, _, err := nc.Jobs().Allocations("sleeper", false, &nomad.QueryOptions{Namespace: ns})
			if err == nil && len(allocs) > 0 && allocs[0].ClientStatus == "running" {
				c.alloc[ns], _, err = nc.Allocations().Info(allocs[0].ID, &nomad.QueryOptions{Namespace: ns})
				if err != nil {
					t.Fatal(err)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no running allocation of sleeper in %s: %v %v; log:\n%s", ns, allocs, err, c.nomad.Log())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return c
}

func sleeper(ns string) *nomad.Job {
	job := nomad.NewServiceJob("sleeper", "sleeper", "global", 50)
	job.Namespace = &ns
	job.Datacenters = []string{"*"}
	task := nomad.NewTask("t", "raw_exec").SetConfig("command", "/bin/sleep").SetConfig("args", []string{"600"})
	task.Resources = &nomad.Resources{CPU: intp(20), MemoryMB: intp(16)}
	group := nomad.NewTaskGroup("g", 1).AddTask(task)
	job.AddTaskGroup(group)
	return job
}

func intp(i int) *int { return &i }

// client is a Nomad client with the token's secret (none if anonymous).
func (c *cluster) client(t *testing.T, token string) *nomad.Client {
	t.Helper()
	cfg := nomad.DefaultConfig()
	cfg.Address, cfg.Namespace, cfg.Region, cfg.SecretID = c.nomad.Addr, "", "", ""
	if tok := c.tokens[token]; tok != nil {
		cfg.SecretID = tok.SecretID
	}
	nc, err := nomad.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

// probe is a real call that needs exactly the right: it returns whether
// Nomad refused it. None changes anything: a plan, a restart of a task
// that does not exist, a check-and-set write that cannot match.
type probe struct {
	need access.Need
	try  func(c *cluster, tc *nomad.Client) (refused bool, err error)
}

func nomadProbes() []probe {
	var ps []probe
	for _, ns := range []string{"team-a", "team-b"} {
		q := &nomad.QueryOptions{Namespace: ns}
		w := &nomad.WriteOptions{Namespace: ns}
		ps = append(ps,
			probe{access.NomadNamespace(access.CapListJobs, "to list the versions").In(ns), func(c *cluster, tc *nomad.Client) (bool, error) {
				_, _, err := tc.Jobs().List(q)
				return refused(err)
			}},
			probe{access.NomadNamespace(access.CapReadJob, "to read the version's job").In(ns), func(c *cluster, tc *nomad.Client) (bool, error) {
				_, _, err := tc.Jobs().Info("sleeper", q)
				return refused(err)
			}},
			probe{access.NomadNamespace(access.CapSubmitJob, "to submit the version's job").In(ns), func(c *cluster, tc *nomad.Client) (bool, error) {
				_, _, err := tc.Jobs().Plan(c.job[ns], false, w)
				return refused(err)
			}},
			probe{access.NomadNamespace(access.CapReadLogs, "to show the logs").In(ns), func(c *cluster, tc *nomad.Client) (bool, error) {
				body, err := tc.Raw().Response("/v1/client/fs/logs/"+c.alloc[ns].ID+"?task=t&type=stdout&plain=true&origin=start", q)
				if err == nil {
					body.Close()
				}
				// Nomad's log endpoint refuses with 500 "Permission denied".
				var ue nomad.UnexpectedResponseError
				if errors.As(err, &ue) && ue.Body() == "Permission denied" {
					return true, nil
				}
				return refused(err)
			}},
			probe{access.NomadNamespace(access.CapAllocLifecycle, "to restart an instance").In(ns), func(c *cluster, tc *nomad.Client) (bool, error) {
				err := tc.Allocations().Restart(c.alloc[ns], "no-such-task", q)
				if err == nil {
					return false, errors.New("restarting a task that does not exist succeeded")
				}
				return refused(err)
			}},
		)
		for _, v := range []struct{ path, cap string }{
			{"nomad/jobs/x", access.VarRead}, {"nomad/jobs/x", access.VarList}, {"nomad/jobs/x", access.VarWrite},
			{"nomad/jobs", access.VarList}, {"svctl/x", access.VarRead},
		} {
			ps = append(ps, probe{access.NomadVariables(v.path, v.cap, "to keep the version's settings").In(ns), func(c *cluster, tc *nomad.Client) (bool, error) {
				switch v.cap {
				case access.VarRead:
					_, _, err := tc.Variables().Read(v.path, q)
					return refused(err)
				case access.VarList:
					// Listing never refuses: it leaves out what may not be listed.
					list, _, err := tc.Variables().PrefixList(v.path, q)
					if err != nil {
						return false, err
					}
					for _, m := range list {
						if m.Path == v.path {
							return false, nil
						}
					}
					return true, nil
				default:
					// cas=0 on a variable that exists: a conflict, never a write.
					_, _, err := tc.Variables().CheckedUpdate(&nomad.Variable{Namespace: ns, Path: v.path, Items: nomad.VariableItems{"k": "changed"}}, w)
					if err == nil {
						return false, errors.New("a check-and-set write with index 0 over a variable succeeded")
					}
					return refused(err)
				}
			}})
		}
	}
	return append(ps, probe{access.NomadNodeRead("to place the version"), func(c *cluster, tc *nomad.Client) (bool, error) {
		_, _, err := tc.Nodes().List(nil)
		return refused(err)
	}})
}

// refused reports whether err is Nomad's 403; any other error is the
// right held and the call failing further on (nil error then).
func refused(err error) (bool, error) {
	var ue nomad.UnexpectedResponseError
	if errors.As(err, &ue) && ue.StatusCode() == 403 {
		return true, nil
	}
	return false, nil
}

// TestSecuredCluster runs the checks against one Consul and one Nomad with
// ACLs on.
func TestSecuredCluster(t *testing.T) {
	c := startCluster(t)
	t.Run("agrees with nomad", func(t *testing.T) { agreesWithNomad(t, c) })
	t.Run("each missing right in turn", func(t *testing.T) { eachMissingRightInTurn(t, c) })
	t.Run("agrees with consul", func(t *testing.T) { agreesWithConsul(t, c.consul) })
	t.Run("following consul's advice", func(t *testing.T) { followingTheAdvice(t, c.consul) })
	t.Run("unknown tokens", func(t *testing.T) { unknownTokens(t, c) })
	t.Run("rules read as the agent reads them", func(t *testing.T) {
		for name := range nomadPolicies {
			if err := access.ParsesAsTheAgent(c.nomad.Client, name); err != nil {
				t.Errorf("policy %s: %v", name, err)
			}
		}
	})
}

// agreesWithNomad: for every token and need, Check refuses exactly when
// the real Nomad agent refuses a call that needs the right; the message
// names the right and its namespace, and no secret.
func agreesWithNomad(t *testing.T, c *cluster) {
	ctx := context.Background()
	probes := nomadProbes()
	tokens := append([]string{"management"}, names()...)
	c.tokens["management"] = &nomad.ACLToken{SecretID: c.nomad.Token, Name: "management"}
	refusals := 0
	for _, name := range tokens {
		tc := c.client(t, name)
		for _, p := range probes {
			nomadRefuses, err := p.try(c, tc)
			if err != nil {
				t.Fatalf("%s: %s: %v", name, p.need, err)
			}
			err = access.Check(ctx, tc, nil, "", p.need)
			var missing *access.MissingError
			if err != nil && !errors.As(err, &missing) {
				t.Fatalf("%s: %s: %v", name, p.need, err)
			}
			if testing.Verbose() {
				t.Logf("%-14s %-70s nomad refuses %v", name, p.need, nomadRefuses)
			}
			if checkRefuses := err != nil; checkRefuses != nomadRefuses {
				t.Errorf("token %s, %s: Check refuses %v (%v), Nomad refuses %v", name, p.need, checkRefuses, err, nomadRefuses)
			}
			if err != nil {
				refusals++
				c.assertNoSecret(t, err.Error())
				if !strings.Contains(err.Error(), "may not "+p.need.String()+": a policy needs ") {
					t.Errorf("token %s: %q does not name the right %s", name, err, p.need)
				}
			}
		}
	}
	t.Logf("%d tokens × %d needs, %d refused by both", len(tokens), len(probes), refusals)

	// What users see, exactly.
	dev := c.tokens["dev"]
	err := access.Check(ctx, c.client(t, "dev"), nil, "team-a",
		access.NomadNamespace(access.CapSubmitJob, "to submit the version's job"),
		access.NomadNamespace(access.CapAllocLifecycle, "to restart an instance"))
	want := fmt.Sprintf(`nomad: the token "dev" (NOMAD_TOKEN, accessor %s…) may not alloc-lifecycle in namespace team-a (to restart an instance): a policy needs namespace "team-a" { capabilities = ["submit-job", "alloc-lifecycle"] }; nothing was changed`, dev.AccessorID[:8])
	if err == nil || err.Error() != want {
		t.Errorf("dev without alloc-lifecycle:\n got %v\nwant %s", err, want)
	}
	err = access.Check(ctx, c.client(t, "anonymous"), nil, "team-b", access.NomadNamespace(access.CapSubmitJob, "to submit the version's job"))
	want = `nomad: the anonymous token (NOMAD_TOKEN is not set) may not submit-job in namespace team-b (to submit the version's job): a policy needs namespace "team-b" { capabilities = ["submit-job"] }; nothing was changed`
	if err == nil || err.Error() != want {
		t.Errorf("anonymous:\n got %v\nwant %s", err, want)
	}
	err = access.Check(ctx, c.client(t, "dev"), nil, "team-a", access.NomadVariables("svctl/x", access.VarWrite, "to keep the version's settings"))
	want = fmt.Sprintf(`nomad: the token "dev" (NOMAD_TOKEN, accessor %s…) may not write variables at svctl/x in namespace team-a (to keep the version's settings): a policy needs namespace "team-a" { variables { path "svctl/x" { capabilities = ["write"] } } }; nothing was changed`, dev.AccessorID[:8])
	if err == nil || err.Error() != want {
		t.Errorf("dev without svctl/x:\n got %v\nwant %s", err, want)
	}
}

func names() []string {
	var out []string
	for _, tk := range nomadTokens {
		out = append(out, tk.name)
	}
	return out
}

func (c *cluster) assertNoSecret(t *testing.T, msg string) {
	t.Helper()
	secrets := []string{c.nomad.Token, c.consul.Token}
	for _, tok := range c.tokens {
		secrets = append(secrets, tok.SecretID)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("a token's secret in %q", msg)
		}
	}
}

// eachMissingRightInTurn: a command's needs, with a token that gains them
// one by one: each time the message names the next one missing, and with
// all of them Check passes. Then the same from nothing, adding what each
// message says a policy needs.
func eachMissingRightInTurn(t *testing.T, c *cluster) {
	ctx := context.Background()
	nc := c.nomad.Client
	needs := []access.Need{
		access.NomadNamespace(access.CapSubmitJob, "to submit the version's job"),
		access.NomadNamespace(access.CapReadJob, "to read the version's job"),
		access.NomadNamespace(access.CapReadLogs, "to show the logs"),
		access.NomadVariables("nomad/jobs", access.VarList, "to find the version's settings"),
		access.NomadNodeRead("to place the version"),
	}
	grants := []string{
		`namespace "team-a" { capabilities = ["submit-job"] }`,
		`namespace "team-a" { capabilities = ["read-job"] }`,
		`namespace "team-a" { capabilities = ["read-logs"] }`,
		`namespace "team-a" { variables { path "nomad/jobs" { capabilities = ["list"] } } }`,
		`node { policy = "read" }`,
	}
	tok, _, err := nc.ACLTokens().Create(&nomad.ACLToken{Name: "growing", Type: "client", Policies: []string{"growing"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.tokens["growing"] = tok
	tc := c.client(t, "growing")
	rules := `agent { policy = "read" }`
	for i := 0; i <= len(needs); i++ {
		if _, err := nc.ACLPolicies().Upsert(&nomad.ACLPolicy{Name: "growing", Rules: rules}, nil); err != nil {
			t.Fatal(err)
		}
		err := access.Check(ctx, tc, nil, "team-a", needs...)
		if i == len(needs) {
			if err != nil {
				t.Fatalf("with every right: %v", err)
			}
			break
		}
		var missing *access.MissingError
		if !errors.As(err, &missing) || !strings.Contains(err.Error(), "may not "+needs[i].In("team-a").String()+":") {
			t.Fatalf("with %d rights: %v; want it to name %s", i, err, needs[i].In("team-a"))
		}
		c.assertNoSecret(t, err.Error())
		rules += "\n" + grants[i]
	}

	// What the messages say to add, added, is enough, and Nomad takes it.
	rules = `agent { policy = "read" }`
	for i := 0; ; i++ {
		if _, err := nc.ACLPolicies().Upsert(&nomad.ACLPolicy{Name: "growing", Rules: rules}, nil); err != nil {
			t.Fatalf("Nomad refuses the rules the messages gave: %v\n%s", err, rules)
		}
		err := access.Check(ctx, tc, nil, "team-a", needs...)
		if err == nil {
			break
		}
		var missing *access.MissingError
		if !errors.As(err, &missing) || i == len(needs) {
			t.Fatalf("after adding %d rules the messages gave: %v", i, err)
		}
		rules += "\n" + missing.Fix
	}
}

// followingTheAdvice: what Consul's messages say to add, added to the
// token's policy, is enough, and Consul takes it.
func followingTheAdvice(t *testing.T, cs *consultest.Secured) {
	ctx := context.Background()
	mc := cs.Client
	needs := []access.Need{
		access.ConsulService("web", access.Write, "its config entries and intentions"),
		access.ConsulIntentions("web", "to let the version's callers in"),
		access.ConsulService("web-sidecar-proxy", access.Read, "its health"),
		access.ConsulKeyPrefix("svctl/web/", access.Write, "to record the version"),
		access.ConsulNodeRead("", "to find the nodes"),
	}
	rules := `agent_prefix "" { policy = "read" }`
	p, _, err := mc.ACL().PolicyCreate(&consul.ACLPolicy{Name: "growing", Rules: rules}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := mc.ACL().TokenCreate(&consul.ACLToken{Description: "growing", Policies: []*consul.ACLTokenPolicyLink{{ID: p.ID}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CONSUL_HTTP_ADDR", cs.URL)
	t.Setenv("CONSUL_HTTP_TOKEN", tok.SecretID)
	cc, err := agents.Consul(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		err := access.Check(ctx, nil, cc, "", needs...)
		if err == nil {
			break
		}
		var missing *access.MissingError
		if !errors.As(err, &missing) || i == len(needs) {
			t.Fatalf("after adding %d rules the messages gave: %v", i, err)
		}
		if strings.Contains(err.Error(), tok.SecretID) {
			t.Errorf("the secret in %q", err)
		}
		rules += "\n" + missing.Fix
		p.Rules = rules
		if _, _, err := mc.ACL().PolicyUpdate(p, nil); err != nil {
			t.Fatalf("Consul refuses the rules the messages gave: %v\n%s", err, rules)
		}
	}
}

// agreesWithConsul: Check says what Consul does, for tokens a team meets;
// a service's write with its intentions is one line.
func agreesWithConsul(t *testing.T, cs *consultest.Secured) {
	mc := cs.Client
	for _, svc := range []string{"web", "api"} {
		if _, _, err := mc.ConfigEntries().Set(&consul.ServiceConfigEntry{Kind: consul.ServiceDefaults, Name: svc, Protocol: "http"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := mc.ConfigEntries().Set(&consul.ServiceIntentionsConfigEntry{Kind: consul.ServiceIntentions, Name: "web",
		Sources: []*consul.SourceIntention{{Name: "api", Action: consul.IntentionActionAllow}}}, nil); err != nil {
		t.Fatal(err)
	}
	policies := map[string]string{
		"web-dev": `service "web" {
  policy     = "write"
  intentions = "write"
}
service "web-sidecar-proxy" { policy = "read" }
key_prefix "svctl/" { policy = "read" }
node_prefix "" { policy = "read" }`,
		"web-read":  `service "web" { policy = "read" }`,
		"kv-writer": `key_prefix "svctl/" { policy = "write" }`,
		"read-all":  `service_prefix "" { policy = "read" }`,
	}
	secrets := map[string]string{"management": cs.Token, "anonymous": ""}
	for name, rules := range policies {
		p, _, err := mc.ACL().PolicyCreate(&consul.ACLPolicy{Name: name, Rules: rules}, nil)
		if err != nil {
			t.Fatalf("policy %s: %v", name, err)
		}
		tok, _, err := mc.ACL().TokenCreate(&consul.ACLToken{Description: name, Policies: []*consul.ACLTokenPolicyLink{{ID: p.ID}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		secrets[name] = tok.SecretID
	}
	type consulProbe struct {
		need access.Need
		try  func(tc *consul.Client) error
	}
	kv := func(tc *consul.Client) error {
		// A recursive delete needs every key under the prefix; put them back.
		_, err := tc.KV().DeleteTree("svctl/", nil)
		for _, k := range []string{"svctl/", "svctl/a"} {
			if _, err := mc.KV().Put(&consul.KVPair{Key: k, Value: []byte("v")}, nil); err != nil {
				t.Fatal(err)
			}
		}
		return err
	}
	if err := kv(mc); err != nil {
		t.Fatal(err)
	}
	probes := []consulProbe{
		{access.ConsulService("web", access.Write, "its config entries"), func(tc *consul.Client) error {
			// Check-and-set with index 0 over an entry that exists: no write.
			_, _, err := tc.ConfigEntries().CAS(&consul.ServiceConfigEntry{Kind: consul.ServiceDefaults, Name: "web", Protocol: "http"}, 0, nil)
			return err
		}},
		{access.ConsulService("api", access.Write, "its config entries"), func(tc *consul.Client) error {
			_, _, err := tc.ConfigEntries().CAS(&consul.ServiceConfigEntry{Kind: consul.ServiceDefaults, Name: "api", Protocol: "http"}, 0, nil)
			return err
		}},
		{access.ConsulService("web", access.Read, "to read its routes"), func(tc *consul.Client) error {
			_, _, err := tc.ConfigEntries().Get(consul.ServiceDefaults, "web", nil)
			return err
		}},
		{access.ConsulIntentions("web", "to let the version's callers in"), func(tc *consul.Client) error {
			_, _, err := tc.ConfigEntries().CAS(&consul.ServiceIntentionsConfigEntry{Kind: consul.ServiceIntentions, Name: "web",
				Sources: []*consul.SourceIntention{{Name: "api", Action: consul.IntentionActionAllow}}}, 0, nil)
			return err
		}},
		{access.ConsulKeyPrefix("svctl/", access.Write, "to record the version"), kv},
		{access.ConsulKeyPrefix("svctl/", access.Read, "to read the records"), func(tc *consul.Client) error {
			_, _, err := tc.KV().Get("svctl/", nil)
			return err
		}},
	}
	ctx := context.Background()
	for name, secret := range secrets {
		t.Setenv("CONSUL_HTTP_ADDR", cs.URL)
		t.Setenv("CONSUL_HTTP_TOKEN", secret)
		t.Setenv("CONSUL_HTTP_TOKEN_FILE", "")
		cc, err := agents.Consul(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, p := range probes {
			err := p.try(cc)
			var se consul.StatusError
			consulRefuses := errors.As(err, &se) && se.Code == 403
			if err != nil && !consulRefuses {
				t.Fatalf("%s: %s: %v", name, p.need, err)
			}
			err = access.Check(ctx, nil, cc, "", p.need)
			if testing.Verbose() {
				t.Logf("%-10s %-60s consul refuses %v", name, p.need, consulRefuses)
			}
			if checkRefuses := err != nil; checkRefuses != consulRefuses {
				t.Errorf("token %s, %s: Check refuses %v (%v), Consul refuses %v", name, p.need, checkRefuses, err, consulRefuses)
			}
			if err != nil {
				for _, s := range secrets {
					if s != "" && strings.Contains(err.Error(), s) {
						t.Errorf("a secret in %q", err)
					}
				}
			}
		}
		if name == "web-read" {
			err := access.Check(ctx, nil, cc, "",
				access.ConsulService("web", access.Write, "its config entries and intentions"),
				access.ConsulIntentions("web", "to let the version's callers in"))
			want := `consul: the token (CONSUL_HTTP_TOKEN) may not write service web (its config entries and intentions): a policy needs service "web" { policy = "write" intentions = "write" }; nothing was changed`
			if err == nil || err.Error() != want {
				t.Errorf("web-read:\n got %v\nwant %s", err, want)
			}
		}
		if name == "anonymous" {
			err := access.Check(ctx, nil, cc, "", access.ConsulNodeRead("", "to find the nodes"))
			want := `consul: the anonymous token (CONSUL_HTTP_TOKEN is not set) may not read nodes (to find the nodes): a policy needs node_prefix "" { policy = "read" }; nothing was changed`
			if err == nil || err.Error() != want {
				t.Errorf("anonymous:\n got %v\nwant %s", err, want)
			}
		}
		if name == "web-dev" {
			if err := access.Check(ctx, nil, cc, "", access.ConsulNodeRead("", "to find the nodes"), access.ConsulService("web-sidecar-proxy", access.Read, "its health")); err != nil {
				t.Errorf("web-dev: %v", err)
			}
		}
	}
}

// TestACLsOff: a cluster without ACLs grants every need, whatever the
// tokens say.
func TestACLsOff(t *testing.T) {
	nomadtest.Require(t, "access")
	cs := consultest.Start(t)
	n := nomadtest.Start(t, repoRoot(t), cs)
	ctx := context.Background()
	needs := []access.Need{
		access.NomadNamespace(access.CapSubmitJob, "to submit the version's job"),
		access.NomadVariables("nomad/jobs", access.VarList, "to find the version's settings"),
		access.NomadNodeRead("to place the version"),
		access.ConsulService("web", access.Write, "its config entries"),
		access.ConsulIntentions("web", "to let the version's callers in"),
		access.ConsulKeyPrefix("svctl/", access.Write, "to record the version"),
	}
	for _, token := range []string{"", uuid.NewString()} {
		t.Setenv("NOMAD_ADDR", n.Addr)
		t.Setenv("NOMAD_TOKEN", token)
		t.Setenv("CONSUL_HTTP_ADDR", cs.HTTPAddr)
		t.Setenv("CONSUL_HTTP_TOKEN", token)
		nc, cc, err := agents.Both(ctx)
		if err != nil {
			t.Fatalf("token %q: %v", token, err)
		}
		if err := access.Check(ctx, nc, cc, "", needs...); err != nil {
			t.Errorf("token %q: %v", token, err)
		}
	}
}

// unknownTokens: a token the cluster does not know is one line naming its
// variable, from Check as from connecting, without the token.
func unknownTokens(t *testing.T, c *cluster) {
	ctx := context.Background()
	stranger := uuid.NewString()
	cfg := nomad.DefaultConfig()
	cfg.Address, cfg.SecretID, cfg.Namespace, cfg.Region = c.nomad.Addr, stranger, "", ""
	nc, err := nomad.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = access.Check(ctx, nc, nil, "", access.NomadNodeRead("to place the version"))
	if want := "nomad: NOMAD_TOKEN is not a token this cluster knows (ACL token not found)"; err == nil || err.Error() != want {
		t.Errorf("unknown Nomad token: %v, want %s", err, want)
	}
	t.Setenv("CONSUL_HTTP_ADDR", c.consul.URL)
	t.Setenv("CONSUL_HTTP_TOKEN", c.consul.Token)
	cc, err := agents.Consul(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := access.Check(ctx, nil, cc, "", access.ConsulNodeRead("", "to find the nodes")); err != nil {
		t.Errorf("management: %v", err)
	}
	t.Setenv("CONSUL_HTTP_TOKEN", stranger)
	if _, err := agents.Consul(ctx); err == nil || err.Error() != "consul: CONSUL_HTTP_TOKEN is not a token this cluster knows (ACL not found)" {
		t.Errorf("unknown Consul token on connect: %v", err)
	}
	t.Setenv("NOMAD_ADDR", c.nomad.Addr)
	for token, want := range map[string]string{
		stranger:   "nomad: NOMAD_TOKEN is not a token this cluster knows (ACL token not found)",
		"not-uuid": "nomad: NOMAD_TOKEN is not a token this cluster knows (not a UUID)",
	} {
		t.Setenv("NOMAD_TOKEN", token)
		if _, err := agents.Nomad(ctx); err == nil || err.Error() != want {
			t.Errorf("Nomad token %s on connect: %v, want %s", token, err, want)
		}
	}
	// A developer's token connects: it cannot read /v1/agent/self.
	t.Setenv("NOMAD_TOKEN", c.tokens["dev"].SecretID)
	if _, err := agents.Nomad(ctx); err != nil {
		t.Errorf("dev token on connect: %v", err)
	}
}

// repoRoot is this repository's top level (nomad.hcl).
func repoRoot(t testing.TB) string {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("find repository: %v", err)
	}
	return strings.TrimSpace(string(out))
}
