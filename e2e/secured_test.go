package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"microwizard/internal/svctl/deploy"
	"microwizard/lobsters/reader"
)

// TestSecuredCluster is the secured cluster's proof (scripts/cluster-up
// --secure: Nomad and Consul with ACLs, Consul's default deny, TLS on every
// API): with only a developer's tokens over TLS, svctl runs the tutorial's
// steps and the personal-version steps; the jobs hold no password; the
// artifact store refuses an anonymous read while the nodes fetch; a token
// missing each right in turn is refused, the right named, before anything
// is built, and nothing changes; an untrusted CA is one line.
func TestSecuredCluster(t *testing.T) {
	c := startCluster(t, true)
	for _, kv := range c.env {
		if strings.HasPrefix(kv, "NOMAD_TOKEN=") || strings.HasPrefix(kv, "CONSUL_HTTP_TOKEN=") {
			if strings.Contains(kv, c.adminToken(strings.HasPrefix(kv, "NOMAD_"))) {
				t.Fatalf("the developer's env holds a management token (%s...)", kv[:12])
			}
		}
	}
	tokens := c.tokens()

	t.Log("a rendered job holds no password: the DSN is the cluster's Nomad Variable")
	rendered := c.svctl("render", "lobsters-popularity", "sec_v1", "UNCOMMITTED_COPY")
	if strings.Contains(rendered, c.dbPassword()) || !strings.Contains(rendered, `nomadVar \"nomad/jobs\"`) {
		t.Errorf("svctl render shows the password, or not the Variable:\n%s", rendered)
	}

	t.Log("the tutorial's steps, as a developer: two versions, one of them stopped under load")
	out1 := c.svctl("run", "lobsters-popularity", "sec_v1", "UNCOMMITTED_COPY")
	if !strings.Contains(out1, "driver exec") {
		t.Errorf("a run on the cluster did not run under exec:\n%s", out1)
	}
	c.svctl("run", "lobsters-popularity", "sec_v2", "UNCOMMITTED_COPY")
	rows := c.instances()
	if len(rows) != 2 {
		t.Fatalf("svctl ps: %+v, want sec_v1 and sec_v2", rows)
	}
	for _, r := range rows {
		c.waitServing(r.AllocID)
		job := c.run("nomad", "job", "inspect", r.JobID)
		for _, secret := range append([]string{c.dbPassword()}, tokens...) {
			if strings.Contains(job, secret) {
				t.Errorf("job %s holds a secret (the database password or a token)", r.JobID)
			}
		}
	}
	for _, d := range []string{c.dataDir} {
		c.expectNoSecretUnder(d, tokens)
	}

	t.Log("the store: an anonymous GET is refused, the nodes fetched with their own key")
	c.expectAnonymousReadRefused(rows[0].JobID)

	t.Log("svctl logs -f, over TLS")
	f := startSvctl(t, c.bin, c.repo, c.env, "logs", "-f", "sec_v1")
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(f.text(), "listening") {
		if time.Now().After(deadline) {
			t.Fatalf("svctl logs -f sec_v1 printed no line of the instance in 30 s:\n%s", f.text())
		}
		time.Sleep(200 * time.Millisecond)
	}
	f.stop()

	var v2 deploy.Row
	for _, r := range rows {
		if r.Name == "sec_v2" {
			v2 = r
		}
	}
	failed, total := c.underLoad(func() { c.svctl("stop", "sec_v2") })
	if failed > 0 || total < 20 {
		t.Errorf("%d of %d loads failed during svctl stop sec_v2 (want 0 of at least 20)", failed, total)
	}
	if rows := c.instances(); len(rows) != 1 || rows[0].Name != "sec_v1" {
		t.Errorf("after stopping %s: %+v", v2.AllocID[:8], rows)
	}

	t.Log("a private version: only the developer's requests reach it; promote, demote")
	c.svctl("run", "-private", "lobsters-popularity", "sec_v3", "UNCOMMITTED_COPY")
	personal := &http.Client{Timeout: 60 * time.Second, Transport: baggageTransport("svctl-version=sec_v3")}
	c.waitFor("a personal request answered by sec_v3", 60*time.Second, func() bool {
		p, err := reader.Get(context.Background(), personal, c.web+"/popular")
		return err == nil && p.PopularOK() && p.Version == "sec_v3"
	})
	for i := 0; i < 20; i++ {
		if p, err := reader.Get(context.Background(), c.client, c.web+"/popular"); err != nil || !p.PopularOK() || p.Version == "sec_v3" {
			t.Fatalf("plain load %d: %v %+v (a private version must not answer it)", i, err, p)
		}
	}
	c.svctl("promote", "sec_v3")
	c.waitFor("a plain load answered by the promoted sec_v3", 60*time.Second, func() bool {
		p, err := reader.Get(context.Background(), c.client, c.web+"/popular")
		return err == nil && p.PopularOK() && p.Version == "sec_v3"
	})
	c.svctl("demote", "sec_v3")
	c.waitFor("sec_v3 private again", 30*time.Second, func() bool {
		for _, r := range c.instances() {
			if r.Name == "sec_v3" {
				return r.MarkedPrivate
			}
		}
		return false
	})

	t.Log("svctl watch, over TLS: a saved edit runs as a new instance")
	w := startSvctl(t, c.bin, c.repo, c.env, "watch", "lobsters-popularity", "sec_w")
	c.waitFor("svctl watch's first instance", 2*time.Minute, func() bool { return strings.Contains(w.text(), "==> watching") })
	users := filepath.Join(c.repo, "popularity", "users.go")
	src, err := os.ReadFile(users)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(users, append(src, []byte("\n// an edit svctl watch sees\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(2 * time.Minute)
	for strings.Count(w.text(), "runs as job") < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("svctl watch ran no new instance within 2 minutes of the edit:\n%s", w.text())
		}
		time.Sleep(250 * time.Millisecond)
	}
	w.stop()
	if err := os.WriteFile(users, src, 0o644); err != nil {
		t.Fatal(err)
	}
	c.svctl("stop", "sec_w")
	c.svctl("stop", "sec_v3")
	c.svctl("gc")

	c.expectRightsNamed()
	c.expectUntrustedCA()
	c.expectNoSecretUnder(c.dataDir, tokens)
}

// adminToken is the cluster's management token of Nomad (or Consul).
func (c *multiNode) adminToken(nomad bool) string {
	c.t.Helper()
	name := "consul-management"
	if nomad {
		name = "nomad-management"
	}
	b, err := os.ReadFile(filepath.Join(c.state, "secrets", name))
	if err != nil {
		c.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// tokens are every token of the cluster: none may appear in a job, an
// output or a file svctl writes.
func (c *multiNode) tokens() []string {
	c.t.Helper()
	var out []string
	entries, err := os.ReadDir(filepath.Join(c.state, "secrets"))
	if err != nil {
		c.t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "nomad-") || strings.HasPrefix(e.Name(), "consul-") {
			b, err := os.ReadFile(filepath.Join(c.state, "secrets", e.Name()))
			if err != nil {
				c.t.Fatal(err)
			}
			out = append(out, strings.TrimSpace(string(b)))
		}
	}
	if len(out) < 6 {
		c.t.Fatalf("the cluster has %d tokens in its secrets, want at least 6", len(out))
	}
	return out
}

// expectNoSecretUnder fails if a file under dir holds one of the secrets.
func (c *multiNode) expectNoSecretUnder(dir string, secrets []string) {
	c.t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil || info.Size() > 4<<20 || !info.Mode().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				c.t.Errorf("%s holds a token", path)
			}
		}
		return nil
	})
	if err != nil {
		c.t.Errorf("walk %s: %v", dir, err)
	}
}

// expectAnonymousReadRefused reads the artifact source of the job's task
// and GETs it without credentials: the store must refuse.
func (c *multiNode) expectAnonymousReadRefused(jobID string) {
	c.t.Helper()
	var job struct {
		TaskGroups []struct {
			Tasks []struct {
				Artifacts []struct{ GetterSource string }
			}
		}
	}
	if err := json.Unmarshal([]byte(c.run("nomad", "job", "inspect", "-json", jobID)), &job); err != nil {
		c.t.Fatal(err)
	}
	var src string
	for _, g := range job.TaskGroups {
		for _, task := range g.Tasks {
			for _, a := range task.Artifacts {
				src = a.GetterSource
			}
		}
	}
	u, ok := strings.CutPrefix(src, "s3::")
	if !ok {
		c.t.Fatalf("the job fetches %q, not an s3:: source with the node's credentials", src)
	}
	resp, err := http.Get(u)
	if err != nil {
		c.t.Fatalf("anonymous GET %s: %v", u, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		c.t.Errorf("anonymous GET %s: %s, want 403 Forbidden", u, resp.Status)
	}
}

// A right of the developer's policies (scripts/cluster/secure), taken away:
// svctl run must name it before anything is built.
type missingRight struct {
	what   string // the right, as the test says it
	nomad  string // the Nomad policy without it ("" : the developer's)
	consul string // the Consul policy without it ("" : the developer's)
	wants  []string
}

// expectRightsNamed runs svctl run with tokens that each lack one right of
// the developer's, in turn: each is refused with the right (and the
// namespace or service) named, before anything is copied or built, and
// nothing changes on the cluster.
func (c *multiNode) expectRightsNamed() {
	c.t.Helper()
	policy := func(name string) string {
		b, err := os.ReadFile(filepath.Join(repoRoot(c.t), "scripts", "cluster", "secure", name))
		if err != nil {
			c.t.Fatal(err)
		}
		return string(b)
	}
	nomadDev, consulDev := policy("nomad-developer-policy.hcl"), policy("consul-developer-policy.hcl")
	cut := func(s, old, new string) string {
		if !strings.Contains(s, old) {
			c.t.Fatalf("the developer's policy has no %q to take away", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	cases := []missingRight{
		{what: "submit-job", nomad: cut(nomadDev, `"read-logs", "submit-job"`, `"read-logs"`), wants: []string{"submit-job", "default"}},
		{what: "read-job", nomad: cut(nomadDev, `"read-job", `, ``), wants: []string{"read-job", "default"}},
		{what: "node read", nomad: cut(nomadDev, "node {\n  policy = \"read\"\n}", ""), wants: []string{"node", "read"}},
		{what: "service write", consul: cut(consulDev, "service \"lobsters-popularity\" {\n  policy     = \"write\"", "service \"lobsters-popularity\" {\n  policy     = \"read\""), wants: []string{"lobsters-popularity", "write"}},
		{what: "svctl's records", consul: cut(consulDev, "key_prefix \"svctl/\" {\n  policy = \"write\"", "key_prefix \"svctl/\" {\n  policy = \"read\""), wants: []string{"svctl/", "write"}},
		{what: "keys read (Nomad's template check)", consul: cut(consulDev, "key_prefix \"\" {\n  policy = \"read\"\n}", ""), wants: []string{"key", "read"}},
	}
	if !strings.Contains(nomadDev, `"read-logs", "submit-job"`) {
		c.t.Fatalf("the developer's Nomad policy changed shape:\n%s", nomadDev)
	}
	before := len(c.instances())
	for i, m := range cases {
		env := c.tokensWith(i, m.nomad, m.consul)
		sh := c.with(env...)
		out, err := sh.try(filepath.Join(c.bin, "svctl"), "run", "lobsters-popularity", "sec_r", "UNCOMMITTED_COPY")
		if err == nil {
			c.t.Errorf("without %s: svctl run succeeded:\n%s", m.what, out)
			continue
		}
		line := strings.TrimSpace(out)
		for _, w := range append(m.wants, "nothing") {
			if !strings.Contains(line, w) {
				c.t.Errorf("without %s: svctl run says %q, which does not name %q", m.what, line, w)
			}
		}
		for _, early := range []string{"copied the working tree", "building", "published", "Permission denied"} {
			if strings.Contains(out, early) {
				c.t.Errorf("without %s: svctl run went as far as %q, or printed the agent's bare refusal:\n%s", m.what, early, out)
			}
		}
		for _, tok := range env {
			if _, secret, _ := strings.Cut(tok, "="); secret != "" && strings.Contains(out, secret) {
				c.t.Errorf("without %s: svctl printed a token", m.what)
			}
		}
	}
	if after := len(c.instances()); after != before {
		c.t.Errorf("refused runs changed the cluster: %d instances before, %d after", before, after)
	}
}

// tokensWith makes a Nomad and a Consul token for case i: the developer's
// policies, with nomad or consul (when not "") in place of the developer's.
// It returns the env that uses them.
func (c *multiNode) tokensWith(i int, nomadPolicy, consulPolicy string) []string {
	c.t.Helper()
	dir := c.t.TempDir()
	nomadName, consulName := "mwc-developer", "mwc-developer"
	if nomadPolicy != "" {
		nomadName = "sec-case-" + strings.Repeat("n", i+1)
		file := filepath.Join(dir, "nomad.hcl")
		if err := os.WriteFile(file, []byte(nomadPolicy), 0o600); err != nil {
			c.t.Fatal(err)
		}
		c.admin.run("nomad", "acl", "policy", "apply", nomadName, file)
	}
	if consulPolicy != "" {
		consulName = "sec-case-" + strings.Repeat("c", i+1)
		file := filepath.Join(dir, "consul.hcl")
		if err := os.WriteFile(file, []byte(consulPolicy), 0o600); err != nil {
			c.t.Fatal(err)
		}
		c.admin.run("consul", "acl", "policy", "create", "-name", consulName, "-rules", "@"+file)
	}
	var nt struct{ SecretID string }
	if err := json.Unmarshal([]byte(c.admin.run("nomad", "acl", "token", "create", "-json", "-type", "client", "-name", nomadName, "-policy", nomadName)), &nt); err != nil || nt.SecretID == "" {
		c.t.Fatalf("a Nomad token of %s: %v", nomadName, err)
	}
	var ct struct{ SecretID string }
	if err := json.Unmarshal([]byte(c.admin.run("consul", "acl", "token", "create", "-format", "json", "-policy-name", consulName)), &ct); err != nil || ct.SecretID == "" {
		c.t.Fatalf("a Consul token of %s: %v", consulName, err)
	}
	return []string{"NOMAD_TOKEN=" + nt.SecretID, "CONSUL_HTTP_TOKEN=" + ct.SecretID}
}

// expectUntrustedCA: with the wrong CA for either agent, svctl says in one
// line that the certificate is not trusted, and by which variable.
func (c *multiNode) expectUntrustedCA() {
	c.t.Helper()
	consulCA := filepath.Join(c.state, "tls", "consul", "consul-agent-ca.pem")
	nomadCA := filepath.Join(c.state, "tls", "nomad", "nomad-agent-ca.pem")
	for _, v := range []struct{ env, want string }{
		{"NOMAD_CACERT=" + consulCA, "NOMAD_CACERT"},
		{"CONSUL_CACERT=" + nomadCA, "CONSUL_CACERT"},
	} {
		out, err := c.with(v.env).try(filepath.Join(c.bin, "svctl"), "ps")
		line := strings.TrimSpace(out)
		if err == nil || strings.Count(line, "\n") > 0 || !strings.Contains(line, "not trusted") || !strings.Contains(line, v.want) {
			c.t.Errorf("svctl ps with %s: %v, %q; want one line saying the certificate is not trusted by %s", v.env, err, line, v.want)
		}
	}
}
