package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"microwizard/lobsters/seed"
)

// TestAVersionExpiresUnderLoad: a version run with a one-minute time to
// live is stopped by the cluster's periodic job (jobs/svctl-expire.nomad.hcl,
// running svctl expire in Nomad), within two minutes, while /popular is
// loaded: no load fails, and the version without a time to live is
// untouched. Bad times to live are refused before anything runs.
func TestAVersionExpiresUnderLoad(t *testing.T) {
	c := newCluster(t, seed.Small)
	for _, bad := range []string{"-1m", "31d", "720h1s", "soon"} {
		c.svctlFails(2, "-ttl", "run", "-ttl", bad, "lobsters-popularity", "lobpop_v9", "UNCOMMITTED_COPY")
	}
	if n := len(c.instances()); n != 0 {
		t.Fatalf("the refused runs left %d instances", n)
	}

	c.svctl("run", "-ttl", "0", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	out := c.svctl("run", "-ttl", "1m", "lobsters-popularity", "lobpop_v2", "UNCOMMITTED_COPY")
	ran := time.Now()
	if !strings.Contains(out, "lobpop_v2 expires at") {
		t.Fatalf("svctl run -ttl 1m did not say when the version expires:\n%s", out)
	}
	var keep string
	for _, r := range c.instances() {
		switch {
		case r.Name == "lobpop_v1" && r.Expires != nil:
			t.Errorf("lobpop_v1, run with -ttl 0, expires at %s", r.Expires)
		case r.Name == "lobpop_v1":
			keep = r.AllocID
		case r.Name == "lobpop_v2" && (r.Expires == nil || r.Expires.Sub(ran) > time.Minute+5*time.Second):
			t.Errorf("lobpop_v2, run with -ttl 1m, expires at %v", r.Expires)
		}
	}
	if table := c.stdout("ps"); !strings.Contains(table, "EXPIRES") || !strings.Contains(table, "in 1m0s") && !strings.Contains(table, "in 59s") && !strings.Contains(table, "in 1m") {
		t.Errorf("svctl ps shows no expiry:\n%s", table)
	}

	t.Log("svctl extend: lobpop_v1 lives 2 h from now, restarted by nothing")
	c.svctlFails(2, "D \"soon\"", "extend", "lobpop_v1", "soon")
	c.svctlFails(2, "at most", "extend", "lobpop_v1", "721h")
	if out := c.svctl("extend", "lobpop_v1", "2h"); !strings.Contains(out, "lobsters-popularity/lobpop_v1 expires at") {
		t.Errorf("svctl extend said:\n%s", out)
	}
	for _, r := range c.instances() {
		if r.Name != "lobpop_v1" {
			continue
		}
		if r.AllocID != keep {
			t.Errorf("svctl extend replaced lobpop_v1's instance %s with %s", keep, r.AllocID)
		}
		if r.Expires == nil || time.Until(*r.Expires) < 119*time.Minute || time.Until(*r.Expires) > 2*time.Hour {
			t.Errorf("lobpop_v1 extended by 2h expires at %v", r.Expires)
		}
	}

	addr := func(name string) string {
		for _, kv := range c.env {
			if v, ok := strings.CutPrefix(kv, name+"="); ok {
				return v
			}
		}
		t.Fatalf("no %s in the test's environment", name)
		return ""
	}
	c.run("nomad", "job", "run", "-detach",
		"-var", "binary="+filepath.Join(c.bin, "svctl"),
		"-var", "nomad_addr="+addr("NOMAD_ADDR"),
		"-var", "consul_addr="+addr("CONSUL_HTTP_ADDR"),
		filepath.Join(c.repo, "jobs", "svctl-expire.nomad.hcl"))

	load := c.loadAt(10, c.client)
	c.waitFor("lobpop_v2 to expire", 3*time.Minute, func() bool {
		for _, r := range c.instances() {
			if r.Name == "lobpop_v2" {
				return false
			}
		}
		return true
	})
	took := time.Since(ran)
	time.Sleep(2 * time.Second)
	noneFailed(t, "the expiry of lobpop_v2", load.finish())
	t.Logf("lobpop_v2 (-ttl 1m) gone %s after its run", took.Round(time.Second))
	if took > 2*time.Minute {
		t.Errorf("lobpop_v2 lived %s, want it gone within 2 minutes of its 1-minute time to live", took.Round(time.Second))
	}
	rows := c.instances()
	if len(rows) != 1 || rows[0].AllocID != keep {
		t.Fatalf("after the expiry: %+v, want lobpop_v1's instance %s untouched", rows, keep)
	}
}
