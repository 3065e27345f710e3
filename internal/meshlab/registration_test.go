package meshlab

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/meshlab/jobspec"
	"microwizard/internal/svctl/pack"
	"microwizard/internal/svctl/render"
	"microwizard/internal/svctl/request"
	"microwizard/internal/svctl/snapshot"
)

// placement is an allocation placed on the host by the lab.
var placement = Placement{AllocID: "0b7e-alloc", Address: "127.0.0.1", ServicePort: 41001, SidecarPort: 41002}

// TestPopularityJobRegistration renders the pack as svctl does for a run and
// checks the Consul registration the lab derives from it.
func TestPopularityJobRegistration(t *testing.T) {
	p, job := popularityJob(t, "lobpop_v1", snapshot.Source{Kind: snapshot.UncommittedCopy}, map[string]string{
		"dsn": "u@tcp(127.0.0.1:3306)/db", "sidecar": "envoy_raw_exec", "envoy_binary": "/usr/bin/envoy",
	}, render.Built{SourceDir: "/tmp/src", Commit: "0123456789abcdef", Binary: "/tmp/bin/lobsters-popularity"})
	tg, task, err := jobspec.OnlyGroup(job)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := Registration(tg, placement)
	if err != nil {
		t.Fatal(err)
	}

	if reg.Name != "lobsters-popularity" {
		t.Errorf("name = %q, want lobsters-popularity", reg.Name)
	}
	if want := "_nomad-task-0b7e-alloc-group-lobsters-popularity-lobsters-popularity-5000"; reg.ID != want {
		t.Errorf("ID = %q, want Nomad's %q", reg.ID, want)
	}
	if !slices.Equal(reg.Tags, []string{"lobpop_v1"}) {
		t.Errorf("tags = %v, want [lobpop_v1]", reg.Tags)
	}
	for k, want := range map[string]string{
		"deploy_name": "lobpop_v1", "source": "UNCOMMITTED_COPY", "source_dir": "/tmp/src",
		"commit": "0123456789abcdef", "external-source": "nomad",
	} {
		if reg.Meta[k] != want {
			t.Errorf("meta %s = %q, want %q", k, reg.Meta[k], want)
		}
	}
	if reg.Address != "127.0.0.1" || reg.Port != 41001 {
		t.Errorf("address %s:%d, want the placement's 127.0.0.1:41001", reg.Address, reg.Port)
	}
	if len(reg.Checks) != 1 {
		t.Fatalf("%d checks, want the job's one", len(reg.Checks))
	}
	// The pack's defaults, as the rendered job says them.
	interval, timeout := packDefault(t, p, "check_interval"), packDefault(t, p, "check_timeout")
	c := reg.Checks[0]
	if c.Name != "health" || c.HTTP != "http://127.0.0.1:41001/health" || c.Interval != interval || c.Timeout != timeout {
		t.Errorf("check %+v, want health: GET http://127.0.0.1:41001/health every %s, timeout %s", c, interval, timeout)
	}

	sc := reg.Connect.SidecarService
	if sc == nil {
		t.Fatal("no Connect sidecar")
	}
	if sc.Port != 41002 || sc.Proxy.LocalServiceAddress != "127.0.0.1" || sc.Proxy.LocalServicePort != 41001 {
		t.Errorf("sidecar on %d to %s:%d, want on 41002 to 127.0.0.1:41001", sc.Port, sc.Proxy.LocalServiceAddress, sc.Proxy.LocalServicePort)
	}
	// The profile's service-defaults decides how long the sidecar waits for
	// the service: a value in the job would override it.
	if got, set := sc.Proxy.Config["local_request_timeout_ms"]; set {
		t.Errorf("sidecar proxy config local_request_timeout_ms = %v, want none (the mesh profile sets it)", got)
	}
	// disable_default_tcp_check = true: only Nomad's alias check.
	if len(sc.Checks) != 1 || sc.Checks[0].AliasService != reg.ID {
		t.Errorf("sidecar checks %+v, want one alias of %s", sc.Checks, reg.ID)
	}

	// The task: the binary and the environment the job gives it.
	cmd, _, err := taskCommand(task)
	if err != nil || cmd != "/tmp/bin/lobsters-popularity" {
		t.Errorf("command %q (%v), want the binary", cmd, err)
	}
	if task.Env["SERVICE_VERSION"] != "lobpop_v1" || task.Env["LOBSTERS_DSN"] != "u@tcp(127.0.0.1:3306)/db" {
		t.Errorf("env %v, want SERVICE_VERSION lobpop_v1 and the DSN", task.Env)
	}
	if want := packDefault(t, p, "shutdown_delay"); tg.ShutdownDelay == nil || tg.ShutdownDelay.String() != want {
		t.Errorf("shutdown delay %v, want the pack's %s", tg.ShutdownDelay, want)
	}
}

// popularityJob renders packs/lobsters-popularity for a run as svctl does
// (NAME, SOURCE, the user's values, what the run built) and reads the job
// back as the lab reads it.
func popularityJob(t *testing.T, name string, source snapshot.Source, vars map[string]string, built render.Built) (*pack.Pack, *nomad.Job) {
	t.Helper()
	p, err := pack.Load(filepath.Join("..", "..", popularityPack))
	if err != nil {
		t.Fatal(err)
	}
	req, err := request.New(p, name, source, built.Commit, vars)
	if err != nil {
		t.Fatal(err)
	}
	text, err := render.Job(req.ForJob(req.NewJobID(), "meshlab"), built, nil)
	if err != nil {
		t.Fatal(err)
	}
	job, err := jobspec.Parse("job.nomad.hcl", []byte(text), nil)
	if err != nil {
		t.Fatalf("parse the rendered job: %v\n%s", err, text)
	}
	return p, job
}

// packDefault returns the default of one of the pack's string variables, as
// a duration would print.
func packDefault(t *testing.T, p *pack.Pack, name string) string {
	t.Helper()
	for _, v := range p.Variables {
		if v.Name == name && v.HasDefault() {
			d, err := time.ParseDuration(v.Default.AsString())
			if err != nil {
				t.Fatalf("variable %s: %v", name, err)
			}
			return d.String()
		}
	}
	t.Fatalf("the pack has no variable %s with a default", name)
	return ""
}

// TestPopularityJobCheckInterval: the check follows the job, not the lab.
func TestPopularityJobCheckInterval(t *testing.T) {
	_, job := popularityJob(t, "lobpop_v9", snapshot.Source{Kind: snapshot.Ref}, map[string]string{
		"check_interval": "7s", "check_timeout": "3s", "sidecar": "envoy_raw_exec",
	}, render.Built{SourceDir: "/s", Binary: "/b"})
	reg, err := Registration(job.TaskGroups[0], placement)
	if err != nil {
		t.Fatal(err)
	}
	if c := reg.Checks[0]; c.Interval != "7s" || c.Timeout != "3s" {
		t.Errorf("check every %s, timeout %s; want the job's 7s and 3s", c.Interval, c.Timeout)
	}
}

// TestMonolithJobRegistration reads jobs/lobsters.nomad.hcl with the
// variables `just up` gives it.
func TestMonolithJobRegistration(t *testing.T) {
	job, err := jobspec.ReadFile(filepath.Join("..", "..", monolithJob), map[string]string{
		"binary": "/tmp/bin/lobsters", "dsn": "u@tcp(127.0.0.1:3306)/db", "port": "43000",
		"envoy_binary": "/usr/bin/envoy",
	})
	if err != nil {
		t.Fatal(err)
	}
	tg, task, err := jobspec.OnlyGroup(job)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := Registration(tg, placement)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Name != "lobsters" || !strings.HasSuffix(reg.ID, "-group-lobsters-lobsters-3000") {
		t.Errorf("service %s (%s), want lobsters, port label 3000", reg.Name, reg.ID)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", monolithJob))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)check \{.*?interval\s*=\s*"([^"]+)"`).FindSubmatch(src)
	if m == nil {
		t.Fatal("no check interval in the job file")
	}
	interval, _ := time.ParseDuration(string(m[1]))
	if len(reg.Checks) != 1 || reg.Checks[0].HTTP != "http://127.0.0.1:41001/health" || reg.Checks[0].Interval != interval.String() {
		t.Errorf("checks %+v, want GET /health every %s, as the job says", reg.Checks, interval)
	}
	ups := reg.Connect.SidecarService.Proxy.Upstreams
	want := consul.Upstream{DestinationType: "service", DestinationName: "lobsters-popularity", LocalBindPort: 8000}
	if len(ups) != 1 || ups[0].DestinationName != want.DestinationName || ups[0].LocalBindPort != want.LocalBindPort || ups[0].DestinationType != want.DestinationType {
		t.Errorf("upstreams %+v, want lobsters-popularity on 8000", ups)
	}
	// var.* evaluated from the defaults and the values given.
	if task.Env["POPULARITY_URL"] != "http://127.0.0.1:8000/" || task.Env["POPULARITY_TIMEOUT"] != "20s" ||
		task.Env["LOBSTERS_DSN"] != "u@tcp(127.0.0.1:3306)/db" || task.Env["POPULARITY_KEEPALIVE"] != "true" {
		t.Errorf("env %v", task.Env)
	}
	if cmd, _, _ := taskCommand(task); cmd != "/tmp/bin/lobsters" {
		t.Errorf("command %q, want the binary", cmd)
	}
}

// TestEnvoyStartsTheSameWayInEveryJob: the pack, the monolith's job and the
// mysql job (on a cluster) start their raw_exec Envoy with the same command,
// which the lab runs as it is (the Envoy flags are in those data files and
// nowhere else).
func TestEnvoyStartsTheSameWayInEveryJob(t *testing.T) {
	_, popularity := popularityJob(t, "lobpop_v1", snapshot.Source{Kind: snapshot.Ref}, map[string]string{"sidecar": "envoy_raw_exec"},
		render.Built{SourceDir: "/s", Binary: "/b"})
	monolith, err := jobspec.ReadFile(filepath.Join("..", "..", monolithJob), map[string]string{"binary": "/b", "sidecar": "envoy_raw_exec"})
	if err != nil {
		t.Fatal(err)
	}
	mysql, err := jobspec.ReadFile(filepath.Join("..", "..", "jobs", "mysql.nomad.hcl"), map[string]string{"connect": "true"})
	if err != nil {
		t.Fatal(err)
	}
	var commands []string
	for _, job := range []*nomad.Job{popularity, monolith, mysql} {
		svc, err := ConsulService(job.TaskGroups[0])
		if err != nil {
			t.Fatal(err)
		}
		st := svc.Connect.SidecarTask
		if st == nil || st.Driver != "raw_exec" {
			t.Fatalf("job %s: no raw_exec sidecar task: %+v", *job.ID, st)
		}
		commands = append(commands, fmt.Sprintf("%s %q", st.Config["command"], st.Config["args"]))
	}
	for i, job := range []string{"the monolith's job", "the mysql job"} {
		if commands[0] != commands[i+1] {
			t.Errorf("the pack starts Envoy with\n  %s\n%s with\n  %s", commands[0], job, commands[i+1])
		}
	}
	if !strings.Contains(commands[0], "--drain-time-s 1") || !strings.Contains(commands[0], "--disable-hot-restart") {
		t.Errorf("Envoy's command lacks the drain and hot-restart flags: %s", commands[0])
	}
}
