package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"runtime"

	"microwizard/internal/testenv"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/svctl/gobuild"
	"microwizard/internal/tutorial"

	"microwizard/internal/svctl/deploy"
	"microwizard/internal/svctl/snapshot"
	"microwizard/internal/testenv/nomadtest"
	"microwizard/lobsters/reader"
	"microwizard/lobsters/schema"
	"microwizard/lobsters/seed"
)

// multiNode is the cluster scripts/cluster-up builds: a Nomad and a Consul
// server and two client nodes (n1, n2), each in a network namespace of its
// own, and the artifact store; the developer's side is this machine's root
// namespace, with its own data dir and a scratch repository.
type multiNode struct {
	shell
	admin   *shell // the cluster's operator: its management tokens (admin.env)
	secure  bool   // built with cluster-up --secure: ACLs and TLS
	state   string // the cluster's state dir
	dataDir string
	web     string // the monolith, on n1
	client  *http.Client
}

// nodeIP is where the cluster script puts each client node.
var nodeIP = map[string]string{"n1": "10.77.0.11", "n2": "10.77.0.12"}

// TestRunTravelsToClusterNodes is the multi-node issue's proof on a real
// cluster: runs land on both nodes from artifacts, the monolith spreads
// /popular over them through the mesh, an instance restarts from what Nomad
// downloaded after the developer's files are gone, a kill -9 brings it back,
// a stop under load fails no request, and a run with the store down stops
// before submitting anything.
func TestRunTravelsToClusterNodes(t *testing.T) {
	c := startMultiNode(t)

	t.Log("without an artifact store a run on the cluster is refused before anything is built")
	noStore := &shell{t: t, repo: c.repo, bin: c.bin}
	for _, kv := range c.env {
		if !strings.HasPrefix(kv, "SVCTL_ARTIFACTS=") {
			noStore.env = append(noStore.env, kv)
		}
	}
	out, err := noStore.try(filepath.Join(c.bin, "svctl"), "run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	if err == nil || !strings.Contains(out, "not this machine, and no artifact store is configured") || strings.Contains(out, "building") {
		t.Errorf("svctl run on the cluster without a store: %v\n%s", err, out)
	}
	if entries, err := os.ReadDir(c.dataDir); err != nil {
		t.Errorf("read the data dir: %v", err)
	} else if len(entries) != 0 {
		t.Errorf("the refused run left %v in the data dir", entries)
	}

	t.Log("two runs of the same tree, pinned to n1 and n2 (n2 under exec: a chroot of what Nomad downloaded)")
	out1 := c.svctl("run", "-var", "node=n1", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	if !strings.Contains(out1, "cluster: node n1 (10.77.0.11) is not this machine") {
		t.Errorf("svctl run did not say it took the cluster path, and why:\n%s", out1)
	}
	out2 := c.svctl("run", "-var", "node=n2", "-var", "driver=exec", "lobsters-popularity", "lobpop_v2", "UNCOMMITTED_COPY")
	if !strings.Contains(out2, "already in the store") || !strings.Contains(out2, "nothing uploaded") {
		t.Errorf("the second run of an unchanged tree uploaded again:\n%s", out2)
	}
	rows := c.instances()
	byNode := map[string]deploy.Row{}
	for _, r := range rows {
		byNode[r.Node] = r
	}
	if len(rows) != 2 || byNode["n1"].Name != "lobpop_v1" || byNode["n2"].Name != "lobpop_v2" {
		t.Fatalf("want lobpop_v1 on n1 and lobpop_v2 on n2, svctl ps says %+v", rows)
	}

	t.Log("the jobs name no path of the developer's machine")
	home, _ := os.UserHomeDir()
	for _, r := range rows {
		job := c.run("nomad", "job", "inspect", r.JobID)
		for _, local := range []string{c.repo, c.dataDir, repoRoot(t), home} {
			if strings.Contains(job, local) {
				t.Errorf("job %s names %s, a path of the developer's machine", r.JobID, local)
			}
		}
		if !strings.Contains(job, "sha256:") {
			t.Errorf("job %s fetches no artifact with a checksum", r.JobID)
		}
	}

	t.Log("the monolith on n1 spreads /popular over both nodes, through the mesh")
	// Healthy in Consul comes a moment before the monolith's Envoy has the
	// new endpoint.
	c.waitServing(byNode["n1"].AllocID)
	c.waitServing(byNode["n2"].AllocID)
	c.expectServedBy(map[string]bool{byNode["n1"].AllocID: true, byNode["n2"].AllocID: true}, 40)

	t.Log("the developer's run directories go; n2's instance restarts from the node's copy")
	if err := os.RemoveAll(filepath.Join(c.dataDir, "runs")); err != nil {
		t.Fatal(err)
	}
	c.run("nomad", "alloc", "restart", byNode["n2"].AllocID)
	c.waitServing(byNode["n2"].AllocID)
	c.expectServedBy(map[string]bool{byNode["n1"].AllocID: true, byNode["n2"].AllocID: true}, 40)

	t.Log("kill -9 of the instance on n2: Nomad starts it again on its node")
	pid := c.taskPID(byNode["n2"].AllocID, "lobsters-popularity")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
	c.waitFor("a new process of the killed instance", 60*time.Second, func() bool {
		p, ok := c.tryTaskPID(byNode["n2"].AllocID, "lobsters-popularity")
		return ok && p != pid
	})
	c.waitServing(byNode["n2"].AllocID)
	c.expectServedBy(map[string]bool{byNode["n1"].AllocID: true, byNode["n2"].AllocID: true}, 40)

	t.Log("svctl stop lobpop_v2 under load: no request fails")
	failed, total := c.underLoad(func() { c.svctl("stop", "lobpop_v2") })
	t.Logf("%d requests during the stop, %d failed", total, failed)
	if failed > 0 || total < 20 {
		t.Errorf("%d of %d requests failed during svctl stop (want 0 of at least 20)", failed, total)
	}
	if rows := c.instances(); len(rows) != 1 || rows[0].Node != "n1" {
		t.Errorf("after the stop: %+v, want only lobpop_v1 on n1", rows)
	}

	t.Log("a forged object in the store: the node's checksum refuses it, the run fails and leaves nothing")
	c.forgeNextBinary()
	out, err = c.try(filepath.Join(c.bin, "svctl"), "run", "-timeout", "60s", "lobsters-popularity", "lobpop_v4", "UNCOMMITTED_COPY")
	for _, want := range []string{"refused the artifact", "checksum does not match", "stopped and purged", "removed the refused object from the store"} {
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("svctl run of a build whose object in the store was forged: %v; the output does not say %q:\n%s", err, want, out)
		}
	}
	if rows := c.instances(); len(rows) != 1 {
		t.Errorf("a run the node refused left instances: %+v", rows)
	}
	out = c.svctl("run", "lobsters-popularity", "lobpop_v4", "UNCOMMITTED_COPY")
	if !strings.Contains(out, "==> published lobsters-popularity") {
		t.Errorf("the run after the refused one did not upload the build anew:\n%s", out)
	}
	c.svctl("stop", "lobpop_v4")

	t.Log("the store down during a run: a clear error, nothing submitted")
	c.killStore()
	out, err = c.try(filepath.Join(c.bin, "svctl"), "run", "lobsters-popularity", "lobpop_v3", "UNCOMMITTED_COPY")
	if err == nil || !strings.Contains(out, "10.77.0.2:8333") || !strings.Contains(out, "nothing was built or submitted") {
		t.Errorf("svctl run with the store down: %v\n%s", err, out)
	}
	if rows := c.instances(); len(rows) != 1 {
		t.Errorf("a run with the store down submitted something: %+v", rows)
	}

	t.Log("svctl stop removes what runs on the other node too")
	c.svctl("stop", "lobpop_v1")
	if rows := c.instances(); len(rows) != 0 {
		t.Errorf("after stopping everything: %+v", rows)
	}
}

// startMultiNode brings the cluster up (and down at the end), runs MySQL as
// a Connect service on n1 with the demo's database, seeded, and the monolith
// on n1 from its published binary.
func startMultiNode(t testing.TB) *multiNode {
	t.Helper()
	return startCluster(t, false)
}

// startCluster is startMultiNode, of a secured cluster when secure is set
// (scripts/cluster-up --secure): c.env then holds a developer's tokens, and
// what sets the cluster up runs as its operator (c.admin).
func startCluster(t testing.TB, secure bool) *multiNode {
	t.Helper()
	nomadtest.Require(t, "e2e")
	for _, bin := range []string{"weed", "envoy", "consul", "mariadb-install-db", "jq", "nsenter"} {
		if _, err := exec.LookPath(bin); err != nil {
			if _, err := os.Stat("/usr/sbin/" + bin); err != nil {
				testenv.Missing(t, "e2e: no "+bin+": run scripts/setup")
			}
		}
	}
	// The cluster's namespaces and bridge have fixed names: one at a time.
	if _, err := os.Stat("/run/netns/mwc-server"); err == nil {
		t.Skip("e2e: a cluster is up already (just cluster-up): the test builds its own; just cluster-down first")
	}
	root := repoRoot(t)
	c := &multiNode{shell: shell{t: t}, secure: secure, state: "/tmp/mwce", client: &http.Client{Timeout: 60 * time.Second}}
	upArgs := []string{c.state}
	if secure {
		upArgs = []string{"--secure", c.state}
	}
	up := exec.Command(filepath.Join(root, "scripts", "cluster-up"), upArgs...)
	if out, err := up.CombinedOutput(); err != nil {
		_ = exec.Command(filepath.Join(root, "scripts", "cluster-down"), c.state).Run()
		t.Fatalf("cluster-up: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(filepath.Join(root, "scripts", "cluster-down"), c.state).CombinedOutput(); err != nil {
			t.Errorf("cluster-down: %v\n%s", err, out)
		}
	})
	clusterEnv, err := readEnvFile(filepath.Join(c.state, "env"))
	if err != nil {
		t.Fatal(err)
	}
	adminEnv, err := readEnvFile(filepath.Join(c.state, "admin.env"))
	if err != nil {
		t.Fatal(err)
	}

	c.repo, c.bin = scratchRepo(t, root)
	c.dataDir = t.TempDir()
	c.env = append(append(withoutAgentEnv(os.Environ()), clusterEnv...), "SVCTL_DATA="+c.dataDir)
	c.admin = c.with(adminEnv...)
	c.admin.env = append(c.admin.env, "SVCTL_DATA="+t.TempDir())

	// The mesh's shared entries (proxy-defaults among them) are the
	// operator's to write.
	c.admin.run(filepath.Join(c.bin, "svctl"), "mesh", "-yes", "tutorial")

	t.Log("MySQL as a Connect service on n1")
	socket := filepath.Join(c.state, "mysqld.sock")
	c.admin.run("nomad", "job", "run", "-detach", "-var", "connect=true", "-var", "node=n1",
		"-var", "datadir="+filepath.Join(c.state, "mysql"), "-var", "socket="+socket,
		filepath.Join(c.repo, "jobs", "mysql.nomad.hcl"))
	c.waitFor("MySQL's socket", 90*time.Second, func() bool {
		return exec.Command("mariadb-admin", "--socket="+socket, "ping").Run() == nil
	})
	// The test sets the database up over the socket; the services reach it
	// only through the mesh.
	setup := exec.Command("mariadb", "--socket="+socket)
	setup.Stdin = strings.NewReader(`CREATE DATABASE IF NOT EXISTS lobsters CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'lobsters'@'%' IDENTIFIED BY '` + c.dbPassword() + `';
GRANT ALL ON lobsters.* TO 'lobsters'@'%';`)
	if out, err := setup.CombinedOutput(); err != nil {
		t.Fatalf("create the database: %v\n%s", err, out)
	}
	db, err := sql.Open("mysql", "root@unix("+socket+")/lobsters?parseTime=true&multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := schema.Migrate(context.Background(), db); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if _, err := seed.Seed(context.Background(), db, seed.Small, 1); err != nil {
		t.Fatalf("seed: %v", err)
	}

	t.Log("the monolith on n1, from its published binary")
	var vars []string
	for _, line := range strings.Split(strings.TrimSpace(c.stdout("publish", filepath.Join(c.bin, "lobsters"))), "\n") {
		vars = append(vars, "-var", line)
	}
	// Its DSN from the cluster's Nomad Variable (cluster-up put it there).
	c.admin.run("nomad", append(append([]string{"job", "run", "-detach"}, vars...),
		"-var", "node=n1", "-var", "mysql_upstream=mysql",
		"-var", "host_network=", filepath.Join(c.repo, "jobs", "lobsters.nomad.hcl"))...)
	c.web = "http://" + nodeIP["n1"] + ":3000"
	c.waitFor("the monolith on n1", 90*time.Second, func() bool { return answers(c.client, c.web+"/") })
	return c
}

// putDSNVariable puts the cluster's DSN in namespace ns's Nomad Variable
// nomad/jobs, as a team's set-up does for each namespace (cluster-up does
// it for default).
func (c *multiNode) putDSNVariable(ns string) {
	c.t.Helper()
	c.admin.run("nomad", "var", "put", "-namespace", ns, "-force", "nomad/jobs",
		"lobsters_dsn=lobsters:"+c.dbPassword()+"@tcp(127.0.0.1:3306)/lobsters?parseTime=true")
}

// dbPassword is the database password cluster-up made: the DSN of its
// Nomad Variable nomad/jobs holds it.
func (c *multiNode) dbPassword() string {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.state, "secrets", "db-password"))
	if err != nil {
		c.t.Fatalf("the cluster's database password: %v", err)
	}
	return strings.TrimSpace(string(b))
}

func (c *multiNode) svctl(args ...string) string {
	c.t.Helper()
	return c.run(filepath.Join(c.bin, "svctl"), args...)
}

// waitServing waits until the allocation answers /popular again, through
// the monolith's mesh.
func (c *multiNode) waitServing(allocID string) {
	c.t.Helper()
	c.waitFor("allocation "+allocID[:8]+" serving /popular again", 90*time.Second, func() bool {
		p, err := reader.Get(context.Background(), c.client, c.web+"/popular")
		return err == nil && p.PopularOK() && p.Instance == allocID
	})
}

// expectServedBy loads /popular n times and fails unless every load is a
// good page and each of the allocations answered some.
func (c *multiNode) expectServedBy(allocs map[string]bool, n int) {
	c.t.Helper()
	seen := map[string]int{}
	for i := 0; i < n; i++ {
		p, err := reader.Get(context.Background(), c.client, c.web+"/popular")
		if err != nil || !p.PopularOK() {
			c.t.Fatalf("/popular load %d: %v %v", i, err, p)
		}
		seen[p.Instance]++
	}
	for a := range allocs {
		if seen[a] == 0 {
			c.t.Fatalf("allocation %s answered none of %d loads: %v", a[:8], n, seen)
		}
	}
}

// underLoad runs f while loading /popular about 50 times a second, and
// returns how many loads failed of how many.
func (c *multiNode) underLoad(f func()) (failed, total int64) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				p, err := reader.Get(context.Background(), c.client, c.web+"/popular")
				atomic.AddInt64(&total, 1)
				if err != nil || !p.PopularOK() {
					atomic.AddInt64(&failed, 1)
				}
				time.Sleep(80 * time.Millisecond)
			}
		}()
	}
	time.Sleep(time.Second)
	f()
	time.Sleep(2 * time.Second)
	stop.Store(true)
	wg.Wait()
	return failed, total
}

// taskPID is the pid of the task's process, found by the allocation's
// directory on the node (the cluster's alloc dirs are STATE/a1, STATE/a2).
func (c *multiNode) taskPID(allocID, task string) int {
	c.t.Helper()
	pid, ok := c.tryTaskPID(allocID, task)
	if !ok {
		c.t.Fatalf("no process of task %s in allocation %s", task, allocID[:8])
	}
	return pid
}

func (c *multiNode) tryTaskPID(allocID, task string) (int, bool) {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		cmd := strings.SplitN(string(b), "\x00", 2)[0]
		if strings.HasSuffix(cmd, "local/bin/lobsters-popularity") || strings.Contains(cmd, allocID+"/"+task+"/local/bin/") {
			var pid int
			fmt.Sscanf(filepath.Base(filepath.Dir(p)), "%d", &pid)
			if env, err := os.ReadFile(filepath.Join(filepath.Dir(p), "environ")); err == nil && strings.Contains(string(env), "NOMAD_ALLOC_ID="+allocID) {
				return pid, true
			}
		}
	}
	return 0, false
}

// forgeNextBinary makes the tutorial's edit in the scratch repository, builds
// the service from it as svctl will, and puts under that build's key in the
// store an object of the right size that records the right sha256 but holds
// other bytes (and no S3 checksum): svctl trusts what the store records, so
// only the node's own checksum can catch it.
func (c *multiNode) forgeNextBinary() {
	c.t.Helper()
	ctx := context.Background()
	if err := tutorial.MakeSlowIn(c.repo); err != nil {
		c.t.Fatal(err)
	}
	src := filepath.Join(c.t.TempDir(), "src")
	if _, err := snapshot.Take(ctx, c.repo, snapshot.Source{Kind: snapshot.UncommittedCopy}, src); err != nil {
		c.t.Fatal(err)
	}
	bin := filepath.Join(c.t.TempDir(), "lobsters-popularity")
	if _, err := gobuild.BuildFor(ctx, src, "./popularity/cmd/lobsters-popularity", bin, gobuild.Platform{OS: "linux", Arch: runtime.GOARCH}); err != nil {
		c.t.Fatal(err)
	}
	body, err := os.ReadFile(bin)
	if err != nil {
		c.t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	forged := bytes.Repeat([]byte{0x5a}, len(body))
	env := map[string]string{}
	for _, kv := range c.env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	bucket, prefix, err := artifacts.ParseLocation(env["SVCTL_ARTIFACTS"])
	if err != nil {
		c.t.Fatal(err)
	}
	endpoint := strings.TrimPrefix(env["AWS_ENDPOINT_URL_S3"], "http://")
	mc, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], ""), Region: env["AWS_REGION"]})
	if err != nil {
		c.t.Fatal(err)
	}
	key := strings.TrimPrefix(prefix+"/sha256/"+hex.EncodeToString(sum[:])+"/lobsters-popularity", "/")
	_, err = mc.PutObject(ctx, bucket, key, bytes.NewReader(forged), int64(len(forged)), minio.PutObjectOptions{
		UserMetadata: map[string]string{"sha256": hex.EncodeToString(sum[:])},
	})
	if err != nil {
		c.t.Fatalf("forge %s: %v", key, err)
	}
}

// killStore stops the cluster's artifact store, as an outage would.
func (c *multiNode) killStore() {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.state, "store", "weed.pid"))
	if err != nil {
		c.t.Fatal(err)
	}
	var pid int
	fmt.Sscanf(strings.TrimSpace(string(b)), "%d", &pid)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		c.t.Fatalf("kill the store (pid %d): %v", pid, err)
	}
	c.waitFor("the store to go", 10*time.Second, func() bool { return syscall.Kill(pid, 0) != nil })
}

// readEnvFile reads the `export K=V` lines of the cluster's env file.
func readEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var env []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if kv, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "export "); ok && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	return env, sc.Err()
}
