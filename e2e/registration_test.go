package e2e

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/meshlab"
	"microwizard/internal/meshlab/jobspec"
	"microwizard/lobsters/seed"
)

// TestLabRegistersAsNomadDoes measures the mesh lab's claim: for the job
// svctl rendered and submitted, and for the monolith's job, the registration
// the lab derives (meshlab.Registration) is what Nomad registered in Consul:
// service ID, name, tags, meta, check, sidecar ID, proxy settings and
// upstreams, sidecar checks. Addresses and ports are Nomad's placement, which
// the lab stands in for; a check is compared by name, type and the path it
// fetches (Nomad routes it through the sidecar with expose; Consul 1.14's
// API returns no check intervals, so those are compared in meshlab's own
// tests against the job).
func TestLabRegistersAsNomadDoes(t *testing.T) {
	c := newCluster(t, seed.Small)
	out := c.svctl("run", "lobsters-popularity", "lobpop_v1", "UNCOMMITTED_COPY")
	jobFile := ""
	for _, line := range strings.Split(out, "\n") {
		if p, ok := strings.CutPrefix(line, "==> rendered job: "); ok {
			jobFile = strings.TrimSpace(p)
		}
	}
	if jobFile == "" {
		t.Fatalf("svctl run did not say where the rendered job is:\n%s", out)
	}
	rows := c.instances()
	if len(rows) != 1 {
		t.Fatalf("want one instance, got %+v", rows)
	}
	popularity, err := jobspec.ReadFile(jobFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.compareRegistration(t, popularity, rows[0].AllocID)

	monolith, err := jobspec.ReadFile(filepath.Join(c.repo, "jobs", "lobsters.nomad.hcl"), c.monolithVars)
	if err != nil {
		t.Fatal(err)
	}
	allocs, _, err := c.nomad.Client.Jobs().Allocations(*monolith.ID, false, nil)
	if err != nil || len(allocs) != 1 {
		t.Fatalf("the monolith's allocations: %v, %v", allocs, err)
	}
	c.compareRegistration(t, monolith, allocs[0].ID)
}

// compareRegistration compares what Nomad registered in the local Consul
// agent for allocation allocID of job with what the lab derives from job.
func (c *cluster) compareRegistration(t *testing.T, job *nomad.Job, allocID string) {
	t.Helper()
	tg, _, err := jobspec.OnlyGroup(job)
	if err != nil {
		t.Fatal(err)
	}
	agent := c.consul.Client.Agent()
	services, err := agent.Services()
	if err != nil {
		t.Fatal(err)
	}
	var app, side *consul.AgentService
	for _, s := range services {
		if !strings.Contains(s.ID, allocID) {
			continue
		}
		if s.Kind == consul.ServiceKindConnectProxy {
			side = s
		} else {
			app = s
		}
	}
	if app == nil || side == nil {
		t.Fatalf("job %s: Nomad registered no service and sidecar for allocation %s: %v", *job.ID, allocID, services)
	}
	// The catalog keeps each check's definition; the agent's list does not.
	var checks []*consul.HealthCheck
	for _, name := range []string{app.Service, side.Service} {
		cs, _, err := c.consul.Client.Health().Checks(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		checks = append(checks, cs...)
	}
	want, err := meshlab.Registration(tg, meshlab.Placement{
		JobID: *job.ID, AllocID: allocID, Address: app.Address, ServicePort: app.Port, SidecarPort: side.Port,
	})
	if err != nil {
		t.Fatal(err)
	}
	what := func(field string) string { return fmt.Sprintf("job %s, %s", *job.ID, field) }
	same := func(field string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: Nomad registered %v, the lab %v", what(field), got, want)
		}
	}
	same("service ID", app.ID, want.ID)
	same("service name", app.Service, want.Name)
	same("tags", app.Tags, want.Tags)
	same("meta", app.Meta, want.Meta)

	// The service's own checks.
	var got []*consul.HealthCheck
	for _, chk := range checks {
		if chk.ServiceID == app.ID {
			got = append(got, chk)
		}
	}
	same("number of service checks", len(got), len(want.Checks))
	for i := 0; i < len(got) && i < len(want.Checks); i++ {
		g, w := got[i], want.Checks[i]
		same("check name", g.Name, w.Name)
		same("check type", g.Type, checkType(w))
		same("check path", c.checkedPath(t, g.CheckID), checkPath(w.HTTP))
	}

	// The sidecar.
	ws := want.Connect.SidecarService
	// Consul names a sidecar registered with its service (the lab's way)
	// <service ID>-sidecar-proxy; Nomad registers it under that ID too.
	same("sidecar ID", side.ID, want.ID+"-sidecar-proxy")
	same("sidecar local service address", side.Proxy.LocalServiceAddress, ws.Proxy.LocalServiceAddress)
	// Nomad binds the sidecar to the namespace's 0.0.0.0:<port> (the lab to
	// loopback: placement), and Consul adds the protocol and the local
	// request timeout of the service's service-defaults (the mesh profile's)
	// to both: the rest must be the same.
	gotConfig := maps.Clone(side.Proxy.Config)
	for _, k := range []string{"bind_address", "bind_port", "protocol", "local_request_timeout_ms"} {
		delete(gotConfig, k)
	}
	same("sidecar proxy config", gotConfig, ws.Proxy.Config)
	var gotUp, wantUp []string
	for _, u := range side.Proxy.Upstreams {
		gotUp = append(gotUp, fmt.Sprintf("%s %s:%d", u.DestinationName, u.LocalBindAddress, u.LocalBindPort))
	}
	for _, u := range ws.Proxy.Upstreams {
		wantUp = append(wantUp, fmt.Sprintf("%s %s:%d", u.DestinationName, u.LocalBindAddress, u.LocalBindPort))
	}
	same("sidecar upstreams", gotUp, wantUp)
	var gotSideChecks, wantSideChecks []string
	for _, chk := range checks {
		if chk.ServiceID == side.ID {
			gotSideChecks = append(gotSideChecks, chk.Name)
		}
	}
	for _, chk := range ws.Checks {
		wantSideChecks = append(wantSideChecks, chk.Name)
	}
	slices.Sort(gotSideChecks)
	slices.Sort(wantSideChecks)
	same("sidecar checks", gotSideChecks, wantSideChecks)
}

// checkedPath is the path of the URL an HTTP check last fetched, which its
// output names ("HTTP GET http://...: 200 OK ..."). Consul 1.14's API does
// not return a check's definition (URL, interval, timeout), so the URL is
// read from what the check did; it waits for the check's first run.
func (c *cluster) checkedPath(t *testing.T, checkID string) string {
	t.Helper()
	var out string
	c.waitFor("check "+checkID+" to run", 30*time.Second, func() bool {
		checks, err := c.consul.Client.Agent().Checks()
		if err != nil || checks[checkID] == nil {
			return false
		}
		out = checks[checkID].Output
		return strings.HasPrefix(out, "HTTP GET ")
	})
	url, _, _ := strings.Cut(strings.TrimPrefix(out, "HTTP GET "), ": ")
	return checkPath(url)
}

// checkType is the type of a check registration, as Consul names it.
func checkType(c *consul.AgentServiceCheck) string {
	switch {
	case c.HTTP != "":
		return "http"
	case c.TCP != "":
		return "tcp"
	}
	return "?"
}

// checkPath is the path of an HTTP check's URL.
func checkPath(url string) string {
	if i := strings.Index(url, "://"); i >= 0 {
		url = url[i+3:]
	}
	if i := strings.Index(url, "/"); i >= 0 {
		return url[i:]
	}
	return ""
}
