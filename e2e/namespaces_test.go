package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNamespacesKeepTheirRoutes: two teams' Nomad namespaces on the
// multi-node cluster. team-a's private mine_v2 keeps its route and its
// instance while team-b runs, demotes and stops a mine_v2 of its own: each
// namespace lists only its own, plain loads never reach team-a's private
// instance, and loads naming mine_v2 reach only it. A namespace that does
// not exist is refused.
func TestNamespacesKeepTheirRoutes(t *testing.T) {
	c := startMultiNode(t)
	for _, ns := range []string{"team-a", "team-b"} {
		c.run("nomad", "namespace", "apply", "-description", "a team's versions", ns)
	}
	a := c.with("NOMAD_NAMESPACE=team-a", "SVCTL_OWNER=ann@example.com")
	b := c.with("NOMAD_NAMESPACE=team-b", "SVCTL_OWNER=bob@example.com")
	svctl := filepath.Join(c.bin, "svctl")

	// A namespace's jobs read the DSN from its own Variable: without one a
	// run says so at once, rather than waiting out its deadline.
	start := time.Now()
	out, err := b.try(svctl, "run", "lobsters-popularity", "bob_novar", "UNCOMMITTED_COPY")
	if err == nil || !strings.Contains(out, "waits for the Nomad Variable nomad/jobs") || !strings.Contains(out, "-namespace team-b") || time.Since(start) > 45*time.Second {
		t.Fatalf("a run in a namespace without its Variable: %v after %s\n%s", err, time.Since(start).Round(time.Second), out)
	}
	for _, ns := range []string{"team-a", "team-b"} {
		c.putDSNVariable(ns)
	}

	c.svctl("run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	a.run(svctl, "run", "-private", "lobsters-popularity", "mine_v2", "UNCOMMITTED_COPY")
	mine := baggageClient("svctl-version=mine_v2")
	c.waitFor("team-a's mine_v2 answering loads that name it", 60*time.Second, func() bool {
		return fetchPage(mine, c.web+"/popular").Version == "mine_v2"
	})
	rows := a.instances()
	if len(rows) != 1 || rows[0].Namespace != "team-a" || rows[0].Mode != "private" {
		t.Fatalf("team-a's ps: %+v, want its one private mine_v2", rows)
	}
	ours := rows[0].AllocID
	onlyOurs := func(when string) {
		t.Helper()
		for i := 0; i < 20; i++ {
			if p := fetchPage(mine, c.web+"/popular"); !p.ok() || p.Instance != ours {
				t.Fatalf("%s: a load naming mine_v2 got %v, want team-a's instance %s", when, p, ours[:8])
			}
		}
	}

	t.Log("team-b runs a mine_v2 of its own, plain: team-a's route stays")
	b.run(svctl, "run", "lobsters-popularity", "mine_v2", "UNCOMMITTED_COPY")
	if rows := b.instances(); len(rows) != 1 || rows[0].Namespace != "team-b" || rows[0].Mode != "shared" {
		t.Fatalf("team-b's ps: %+v, want its one shared mine_v2", rows)
	}
	if rows := a.instances(); len(rows) != 1 || rows[0].AllocID != ours || rows[0].Mode != "private" {
		t.Fatalf("team-a's ps after team-b's run: %+v", rows)
	}
	onlyOurs("after team-b's run")
	seen := map[string]int{}
	for i := 0; i < 40; i++ {
		p := fetchPage(c.client, c.web+"/popular")
		if !p.ok() {
			t.Fatalf("plain load %d failed: %v", i, p)
		}
		seen[p.Instance]++
	}
	if seen[ours] > 0 {
		t.Errorf("plain loads reached team-a's private instance: %v", seen)
	}

	t.Log("team-b may not route mine_v2 too: a request names a version by NAME alone")
	if out, err := b.try(svctl, "promote", "mine_v2"); exitCode(err) != 2 || !strings.Contains(out, "team-a") {
		t.Errorf("team-b's promote of mine_v2 (a route of its own): exit %d, want 2 naming team-a:\n%s", exitCode(err), out)
	}
	onlyOurs("after team-b's refused promote")

	t.Log("team-b stops its mine_v2: team-a's version and route stay")
	b.run(svctl, "stop", "mine_v2")
	if rows := a.instances(); len(rows) != 1 || rows[0].AllocID != ours || rows[0].Mode != "private" {
		t.Fatalf("team-a's ps after team-b's stop: %+v", rows)
	}
	onlyOurs("after team-b's stop")

	if out, err := c.try(svctl, "ps", "-namespace", "team-z"); exitCode(err) != 2 || !strings.Contains(out, "team-z") || !strings.Contains(out, "team-a") {
		t.Errorf("ps -namespace team-z: exit %d, want 2 naming the namespaces there are:\n%s", exitCode(err), out)
	}
	a.run(svctl, "stop", "mine_v2")
	c.svctl("stop", "lobpop_v1")
}
