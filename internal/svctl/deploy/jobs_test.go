package deploy

import (
	"errors"
	"slices"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/svctl/record"
)

// cluster is what Nomad lists in the tests of which jobs a NAME selects:
// svctl's live jobs of NAME canary, of two services, submitted in another
// order than their IDs sort in (Nomad lists by ID); NAME web and api; and
// jobs that no NAME selects: dead ones, and jobs svctl did not run (no
// svctl=1 in their meta), one of them with a deploy_name of canary.
func cluster() []*nomad.JobListStub {
	handmade := &nomad.JobListStub{ID: "canary-by-hand", Name: "canary-by-hand", Status: "running", SubmitTime: t0.UnixNano(),
		Meta: map[string]string{record.MetaService: "web", record.MetaDeployName: "canary"}}
	notOurs := &nomad.JobListStub{ID: "batch", Name: "batch", Status: "running", SubmitTime: t0.UnixNano(),
		Meta: map[string]string{record.MetaManaged: "0", record.MetaService: "batch", record.MetaDeployName: "handmade"}}
	return []*nomad.JobListStub{
		svctlJob("web-canary-b", "web", "canary", "running", 3),
		svctlJob("api-canary-a", "api", "canary", "pending", 2),
		svctlJob("web-canary-z", "web", "canary", "running", 1),
		svctlJob("web-canary-dead", "web", "canary", "dead", 0),
		svctlJob("web-2", "web", "web", "running", 5),
		svctlJob("web-1", "web", "web", "running", 4),
		svctlJob("api-1", "api", "api", "running", 6),
		svctlJob("web-retired", "web", "retired", "dead", 0),
		handmade, notOurs,
	}
}

// TestNamedSelectsEveryServicesLiveSvctlJobsOldestFirst: a NAME selects
// the jobs svctl ran under it, of every service, that are not dead, oldest
// first; a job svctl did not run is not svctl's to select even with the
// NAME in its meta.
func TestNamedSelectsEveryServicesLiveSvctlJobsOldestFirst(t *testing.T) {
	c, fn, _ := newFakes(t, nil)
	fn.jobs = cluster()
	hit, err := c.Named("canary")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"web-canary-z", "api-canary-a", "web-canary-b"}; !slices.Equal(ids(hit), want) {
		t.Fatalf("canary selects %v, want %v (svctl's live jobs of NAME canary, oldest first)", ids(hit), want)
	}
	if j := hit[1]; j.Service != "api" || j.Name != "canary" || j.Status != "pending" || !j.SubmitTime.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("job %s read as service %q, NAME %q, status %q, submitted %v", j.ID, j.Service, j.Name, j.Status, j.SubmitTime)
	}
}

// TestJobsOfAServiceAreItsLiveSvctlJobsOldestFirst: Jobs lists svctl's
// live jobs of one service, whatever their NAME, or of every service.
func TestJobsOfAServiceAreItsLiveSvctlJobsOldestFirst(t *testing.T) {
	c, fn, _ := newFakes(t, nil)
	fn.jobs = cluster()
	for service, want := range map[string][]string{
		"web": {"web-canary-z", "web-canary-b", "web-1", "web-2"},
		"api": {"api-canary-a", "api-1"},
		"":    {"web-canary-z", "api-canary-a", "web-canary-b", "web-1", "web-2", "api-1"},
	} {
		jobs, err := c.Jobs(service)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(jobs), want) {
			t.Errorf("Jobs(%q) = %v, want %v", service, ids(jobs), want)
		}
	}
}

// TestUnknownNameListsTheNamesThereAre: a NAME nothing live runs under is
// a NotFoundError that lists the NAMEs svctl's live jobs have, sorted and
// once each (not those of dead jobs, nor of jobs svctl did not run); with
// nothing running it says so.
func TestUnknownNameListsTheNamesThereAre(t *testing.T) {
	c, fn, _ := newFakes(t, nil)
	fn.jobs = cluster()
	_, err := c.Named("retired")
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("Named of a NAME only dead jobs have = %v, want a *NotFoundError", err)
	}
	if want := []string{"api", "canary", "web"}; nf.Name != "retired" || !slices.Equal(nf.Known, want) {
		t.Errorf("NotFoundError{Name: %q, Known: %v}, want Name retired, Known %v", nf.Name, nf.Known, want)
	}
	if want := `no running instances named "retired" (running: api, canary, web)`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	fn.jobs = cluster()[7:] // a dead job and jobs svctl did not run
	_, err = c.Named("web")
	if want := `no running instances named "web" (nothing is running)`; err == nil || err.Error() != want {
		t.Errorf("with nothing of svctl's running: %v, want %q", err, want)
	}
}

// TestAllocationsKeepsThoseDesiredToRun: the allocations of a NAME are
// those of each of its jobs, oldest job first, that Nomad wants running
// (not ones being stopped or evicted); an unknown NAME is a
// NotFoundError.
func TestAllocationsKeepsThoseDesiredToRun(t *testing.T) {
	c, fn, _ := newFakes(t, nil)
	fn.jobs = cluster()
	fn.allocs["web-canary-z"] = [][]*nomad.AllocationListStub{{stub("a1", "web-canary-z", "run", "running"), stub("a0", "web-canary-z", "stop", "complete")}}
	fn.allocs["api-canary-a"] = [][]*nomad.AllocationListStub{{stub("a3", "api-canary-a", "evict", "running"), stub("a2", "api-canary-a", "run", "pending")}}
	fn.allocs["web-canary-b"] = [][]*nomad.AllocationListStub{{stub("a4", "web-canary-b", "run", "running")}}
	fn.allocs["web-1"] = [][]*nomad.AllocationListStub{{stub("other", "web-1", "run", "running")}}
	allocs, err := c.Allocations("canary")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range allocs {
		got = append(got, a.ID)
	}
	if want := []string{"a1", "a2", "a4"}; !slices.Equal(got, want) {
		t.Errorf("allocations of canary: %v, want %v", got, want)
	}
	var nf *NotFoundError
	if _, err := c.Allocations("nope"); !errors.As(err, &nf) {
		t.Errorf("allocations of an unknown NAME: %v, want a *NotFoundError", err)
	}
}
