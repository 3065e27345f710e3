package access

import (
	"reflect"
	"testing"
)

// TestNomadEvaluation: the rules of Nomad's acl.go and policy.go, each on a
// case a user meets (the real agent is asked the same in access_test.go).
func TestNomadEvaluation(t *testing.T) {
	type ask struct {
		ns, cap string
		want    bool
	}
	for _, c := range []struct {
		name     string
		policies []string
		asks     []ask
	}{
		{"policy read expands to read-job and list-jobs, not submit-job",
			[]string{`namespace "team-a" { policy = "read" }`},
			[]ask{{"team-a", CapReadJob, true}, {"team-a", CapListJobs, true}, {"team-a", CapSubmitJob, false}, {"team-b", CapReadJob, false}}},
		{"policy write holds read-logs and alloc-lifecycle",
			[]string{`namespace "team-a" { policy = "write" }`},
			[]ask{{"team-a", CapSubmitJob, true}, {"team-a", CapReadLogs, true}, {"team-a", CapAllocLifecycle, true}}},
		{"policy scale holds no read-job",
			[]string{`namespace "team-a" { policy = "scale" }`},
			[]ask{{"team-a", CapReadJob, false}, {"team-a", "scale-job", true}}},
		{"capabilities add to the policy's",
			[]string{`namespace "team-a" {
  policy       = "read"
  capabilities = ["submit-job"]
}`},
			[]ask{{"team-a", CapSubmitJob, true}, {"team-a", CapReadJob, true}, {"team-a", CapReadLogs, false}}},
		{"capabilities add up across policies",
			[]string{`namespace "team-a" { capabilities = ["submit-job"] }`, `namespace "team-a" { capabilities = ["read-logs"] }`},
			[]ask{{"team-a", CapSubmitJob, true}, {"team-a", CapReadLogs, true}}},
		{"deny wins, in either order",
			[]string{`namespace "team-a" { policy = "deny" }`, `namespace "team-a" { policy = "write" }`},
			[]ask{{"team-a", CapSubmitJob, false}, {"team-a", CapReadJob, false}}},
		{"deny wins, the other order",
			[]string{`namespace "team-a" { policy = "write" }`, `namespace "team-a" { capabilities = ["deny"] }`},
			[]ask{{"team-a", CapSubmitJob, false}}},
		{"the exact name beats a glob, even granting nothing",
			[]string{`namespace "*" { policy = "write" }`, `namespace "team-a" {
  variables {
    path "x" { capabilities = ["read"] }
  }
}`},
			[]ask{{"team-a", CapReadJob, false}, {"team-b", CapReadJob, true}}},
		{"the closest glob wins",
			[]string{`namespace "*" { policy = "write" }`, `namespace "team-*" { policy = "read" }`},
			[]ask{{"team-a", CapReadJob, true}, {"team-a", CapSubmitJob, false}, {"other", CapSubmitJob, true}}},
		{"a glob matches inside the name",
			[]string{`namespace "*-prod" { policy = "read" }`},
			[]ask{{"web-prod", CapReadJob, true}, {"web-dev", CapReadJob, false}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := compileHCL(t, c.policies...)
			for _, q := range c.asks {
				if got := a.allowNamespace(q.ns, q.cap); got != q.want {
					t.Errorf("%s in %s: %v, want %v", q.cap, q.ns, got, q.want)
				}
			}
		})
	}
}

// TestNomadVariablesAndNode: variables paths (exact, glob, read bringing
// list, globs over namespace and path together) and node's greatest
// privilege, deny the greatest.
func TestNomadVariablesAndNode(t *testing.T) {
	a := compileHCL(t, `namespace "team-a" {
  variables {
    path "nomad/jobs"   { capabilities = ["list"] }
    path "nomad/jobs/*" { capabilities = ["read"] }
  }
}
namespace "team-*" {
  variables {
    path "svctl/*" { capabilities = ["write"] }
  }
}
node { policy = "read" }`)
	for _, q := range []struct {
		ns, path, cap string
		want          bool
	}{
		{"team-a", "nomad/jobs", VarList, true},
		{"team-a", "nomad/jobs", VarRead, false},
		{"team-a", "nomad/jobs/web", VarRead, true},
		{"team-a", "nomad/jobs/web", VarList, true}, // read brings list
		{"team-a", "nomad/jobs/web", VarWrite, false},
		{"team-b", "nomad/jobs/web", VarRead, false},
		{"team-b", "svctl/x", VarWrite, true},
		{"team-a", "svctl/x", VarWrite, true},
		{"team-a", "svctl", VarWrite, false},
	} {
		if got := a.allowVariable(q.ns, q.path, q.cap); got != q.want {
			t.Errorf("%s on %s in %s: %v, want %v", q.cap, q.path, q.ns, got, q.want)
		}
	}
	if !a.allowNodeRead() {
		t.Error("node read: refused")
	}
	if compileHCL(t, `node { policy = "write" }`, `node { policy = "deny" }`).allowNodeRead() {
		t.Error("node write and node deny: read allowed, want deny to win")
	}
	if compileHCL(t, `namespace "default" { policy = "write" }`).allowNodeRead() {
		t.Error("no node block: read allowed")
	}
}

// TestGlobMatch: go-glob's semantics, which Nomad uses.
func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, subject string
		want             bool
	}{
		{"*", "", true}, {"*", "x", true}, {"", "", true}, {"", "x", false},
		{"team-*", "team-a", true}, {"team-*", "team-", true}, {"team-*", "xteam-a", false},
		{"*-prod", "web-prod", true}, {"*-prod", "web-prod2", false},
		{"a*b*c", "abc", true}, {"a*b*c", "aXbYc", true}, {"a*b*c", "acb", false},
		{"ab*b", "ab", false}, {"ab*b", "abb", true},
	} {
		if got := globMatch(c.pattern, c.subject); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.pattern, c.subject, got, c.want)
		}
	}
}

// TestParseRulesJSON: a policy written in JSON reads as its HCL twin.
func TestParseRulesJSON(t *testing.T) {
	h, err := parseRules("h", `namespace "team-a" {
  policy = "read"
  variables {
    path "nomad/jobs/*" { capabilities = ["read"] }
  }
}
node { policy = "read" }
agent { policy = "read" }`)
	if err != nil {
		t.Fatal(err)
	}
	j, err := parseRules("j", `{"namespace": {"team-a": {"policy": "read", "variables": {"path": {"nomad/jobs/*": {"capabilities": ["read"]}}}}}, "node": {"policy": "read"}, "agent": {"policy": "read"}}`)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h, j) {
		t.Errorf("HCL %+v, JSON %+v", h, j)
	}
	if _, err := parseRules("bad", `namespace "x" {`); err == nil {
		t.Error("a broken policy parsed")
	}
}

func compileHCL(t *testing.T, policies ...string) *nomadACL {
	t.Helper()
	var rules []*policyRules
	for i, p := range policies {
		r, err := parseRules("p"+string(rune('0'+i)), p)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	return compile(false, rules)
}
