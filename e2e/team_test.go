package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"microwizard/lobsters/seed"
)

// TestTeamRunsConcurrentlyBesideAForeignIntention: a team on one cluster
// that also serves another party's services. Ten developers start a private
// version each at the same moment; every run succeeds and none loses
// another's route. A switch of the mesh profile leaves the other party's
// intention untouched, keeps the source it added to an intention it shares
// with the project, and keeps every private route. Ten concurrent stops
// leave no route behind.
func TestTeamRunsConcurrentlyBesideAForeignIntention(t *testing.T) {
	c := newCluster(t, seed.Small)
	c.svctl("run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")

	t.Log("another party's intentions: billing -> payments, and ops -> lobsters-popularity beside the project's")
	foreign := filepath.Join(t.TempDir(), "payments.hcl")
	if err := os.WriteFile(foreign, []byte(`Kind = "service-intentions"
Name = "payments"
Sources = [
  { Name = "billing", Action = "allow" },
]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	c.run("consul", "config", "write", foreign)
	var shared map[string]any
	if err := json.Unmarshal([]byte(c.run("consul", "config", "read", "-kind", "service-intentions", "-name", "lobsters-popularity")), &shared); err != nil {
		t.Fatalf("read the project's intention: %v", err)
	}
	shared["Sources"] = append(shared["Sources"].([]any), map[string]any{"Name": "ops", "Action": "allow"})
	delete(shared, "CreateIndex")
	delete(shared, "ModifyIndex")
	withOps, _ := json.Marshal(shared)
	withOpsFile := filepath.Join(t.TempDir(), "lobsters-popularity.json")
	if err := os.WriteFile(withOpsFile, withOps, 0o644); err != nil {
		t.Fatal(err)
	}
	c.run("consul", "config", "write", withOpsFile)
	paymentsBefore := c.run("consul", "config", "read", "-kind", "service-intentions", "-name", "payments")

	const developers = 10
	names := make([]string, developers)
	as := make([]*shell, developers)
	for i := range names {
		names[i] = fmt.Sprintf("dev%02d_v2", i)
		as[i] = c.with(fmt.Sprintf("SVCTL_OWNER=dev%02d@example.com", i))
	}
	svctl := filepath.Join(c.bin, "svctl")
	concurrently := func(what string, args func(i int) []string) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]string, developers)
		for i := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if out, err := as[i].try(svctl, args(i)...); err != nil {
					errs[i] = fmt.Sprintf("%s of %s: %v\n%s", what, names[i], err, tail(out, 8))
				}
			}()
		}
		wg.Wait()
		for _, e := range errs {
			if e != "" {
				t.Error(e)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
	}

	t.Logf("%d developers run a private version each, at the same moment", developers)
	concurrently("run -private", func(i int) []string {
		return []string{"run", "-private", "--var", "dsn=" + c.dsn, "lobsters-popularity", names[i], "UNCOMMITTED_COPY"}
	})
	everyRouteHolds := func(when string) {
		t.Helper()
		if m := c.modes(); len(m) != developers+1 || m["lobpop_v1"] != "shared" {
			t.Fatalf("%s: svctl ps modes = %v, want lobpop_v1 shared and %d private", when, m, developers)
		} else {
			for _, n := range names {
				if m[n] != "private" {
					t.Fatalf("%s: svctl ps modes = %v, want %s private", when, m, n)
				}
			}
		}
		for _, n := range names {
			client := baggageClient("svctl-version=" + n)
			c.waitFor(when+": loads naming "+n+" reaching it", 30*time.Second, func() bool {
				return fetchPage(client, c.web+"/popular").Version == n
			})
			for i := 0; i < 5; i++ {
				if p := fetchPage(client, c.web+"/popular"); p.Version != n {
					t.Fatalf("%s: a load naming %s got %v", when, n, p)
				}
			}
		}
		if got := c.versions(c.client, 40, 4); got["lobpop_v1"] != 40 {
			t.Fatalf("%s: 40 plain loads reached %v, want all on lobpop_v1", when, got)
		}
	}
	everyRouteHolds("after the concurrent runs")

	t.Log("a switch of the mesh profile: the other party's intentions and every route stay")
	c.svctl("mesh", "-yes", "resilient")
	if after := c.run("consul", "config", "read", "-kind", "service-intentions", "-name", "payments"); after != paymentsBefore {
		t.Errorf("svctl mesh changed the payments intention:\nbefore %s\nafter %s", paymentsBefore, after)
	}
	if got := c.run("consul", "config", "read", "-kind", "service-intentions", "-name", "lobsters-popularity"); !strings.Contains(got, `"ops"`) || !strings.Contains(got, `"lobsters"`) {
		t.Errorf("after svctl mesh the lobsters-popularity intention lost a source, want ops and lobsters:\n%s", got)
	}
	everyRouteHolds("after svctl mesh resilient")

	t.Logf("the %d developers stop their versions, at the same moment", developers)
	concurrently("stop", func(i int) []string { return []string{"stop", names[i]} })
	for _, kind := range []string{"service-resolver", "service-router"} {
		if got := c.run("consul", "config", "read", "-kind", kind, "-name", "lobsters-popularity"); strings.Contains(got, "dev0") {
			t.Errorf("%s still routes a stopped version:\n%s", kind, got)
		}
	}
	if m := c.modes(); len(m) != 1 || m["lobpop_v1"] != "shared" {
		t.Errorf("after the stops, svctl ps modes = %v, want lobpop_v1 alone", m)
	}
}
