package deploy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	nomad "github.com/hashicorp/nomad/api"
)

// onJob is the requests the fake Nomad received about the job id (the job
// itself and its allocations), in order.
func onJob(fn *fakeNomad, id string) []string {
	var out []string
	for _, r := range fn.all() {
		if path := strings.Fields(r)[1]; strings.HasPrefix(path, "/v1/job/"+id+"?") || strings.HasPrefix(path, "/v1/job/"+id+"/") {
			out = append(out, r)
		}
	}
	return out
}

// stopping is the answers of Nomad, listing a stopping job's allocations,
// until all have ended: running, then one ended and a replacement pending,
// then every one ended (complete, failed, lost).
func stopping(job string) [][]*nomad.AllocationListStub {
	return [][]*nomad.AllocationListStub{
		{stub(job+"-a", job, "stop", "running")},
		{stub(job+"-a", job, "stop", "complete"), stub(job+"-b", job, "stop", "pending")},
		{stub(job+"-a", job, "stop", "complete"), stub(job+"-b", job, "stop", "failed"), stub(job+"-c", job, "stop", "lost")},
	}
}

// stopped is what Nomad is asked of a job Stop stops: deregistered, its
// allocations listed (all of them, stopped ones too) until none is
// running, then purged.
func stopped(job string) []string {
	allocs := "GET /v1/job/" + job + "/allocations?all=true"
	return []string{"DELETE /v1/job/" + job + "?purge=false", allocs, allocs, allocs, "DELETE /v1/job/" + job + "?purge=true"}
}

// TestStopDeregistersEveryJobOfNameWaitsThenPurges: svctl stop NAME
// deregisters every live job of NAME, of every service, before waiting for
// any; it purges each only once Nomad lists none of its allocations
// running; it returns the jobs stopped, and touches no other job.
func TestStopDeregistersEveryJobOfNameWaitsThenPurges(t *testing.T) {
	var out strings.Builder
	c, fn, _ := newFakes(t, &out)
	fn.jobs = cluster()
	canary := []string{"web-canary-z", "api-canary-a", "web-canary-b"}
	for _, id := range canary {
		fn.allocs[id] = stopping(id)
	}
	jobs, err := c.Stop(context.Background(), "", "canary", false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(jobs), canary) {
		t.Errorf("Stop returned %v, want %v", ids(jobs), canary)
	}
	for _, id := range canary {
		if got := onJob(fn, id); !slices.Equal(got, stopped(id)) {
			t.Errorf("Nomad was asked of job %s:\n%s\nwant:\n%s", id, strings.Join(got, "\n"), strings.Join(stopped(id), "\n"))
		}
	}
	deletes := fn.seen("DELETE", "/v1/job/")
	if len(deletes) != 6 {
		t.Fatalf("Nomad was sent %d DELETEs, want 6 (a stop and a purge for each of the 3 jobs): %v", len(deletes), deletes)
	}
	if want := []string{"DELETE /v1/job/web-canary-z?purge=false", "DELETE /v1/job/api-canary-a?purge=false", "DELETE /v1/job/web-canary-b?purge=false"}; !slices.Equal(deletes[:3], want) {
		t.Errorf("stops and purges in the order %v, want every job stopped first: %v", deletes, want)
	}
	for _, want := range []string{`stopping job "web-canary-z"`, `Job "web-canary-b" stopped and purged`, `Allocation "api-cana" lost`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("Stop printed\n%s\nwithout %s", out.String(), want)
		}
	}
}

// TestStopOneStopsOnlyTheNewest: svctl stop --one NAME stops and purges
// the newest job of NAME and leaves the others running.
func TestStopOneStopsOnlyTheNewest(t *testing.T) {
	c, fn, _ := newFakes(t, nil)
	fn.jobs = cluster()
	fn.allocs["web-canary-b"] = stopping("web-canary-b")
	jobs, err := c.Stop(context.Background(), "", "canary", true)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"web-canary-b"}; !slices.Equal(ids(jobs), want) {
		t.Errorf("Stop --one returned %v, want %v", ids(jobs), want)
	}
	if got, want := fn.seen("DELETE", "/v1/job/"), []string{"DELETE /v1/job/web-canary-b?purge=false", "DELETE /v1/job/web-canary-b?purge=true"}; !slices.Equal(got, want) {
		t.Errorf("Stop --one sent %v, want %v", got, want)
	}
}

// TestStopOfAnUnknownNameStopsNothing: a NAME nothing runs under is a
// NotFoundError, and nothing is deregistered.
func TestStopOfAnUnknownNameStopsNothing(t *testing.T) {
	c, fn, _ := newFakes(t, nil)
	fn.jobs = cluster()
	var nf *NotFoundError
	if _, err := c.Stop(context.Background(), "", "nope", false); !errors.As(err, &nf) {
		t.Errorf("Stop of an unknown NAME: %v, want a *NotFoundError", err)
	}
	if got := fn.seen("DELETE", "/"); len(got) != 0 {
		t.Errorf("Stop of an unknown NAME sent %v", got)
	}
}

// TestStopWaitsWhileAnAllocationHasNotEnded: an allocation complete,
// failed or lost has ended, and the job is purged after one listing; one
// pending, running or unknown (its node out of touch) has not, and the
// purge waits for the next listing, where it is complete.
func TestStopWaitsWhileAnAllocationHasNotEnded(t *testing.T) {
	for status, ended := range map[string]bool{
		"complete": true, "failed": true, "lost": true,
		"pending": false, "running": false, "unknown": false,
	} {
		t.Run(status, func(t *testing.T) {
			c, fn, _ := newFakes(t, nil)
			fn.allocs["web-1"] = [][]*nomad.AllocationListStub{
				{stub("a1", "web-1", "stop", "complete"), stub("a2", "web-1", "stop", status)},
				{stub("a1", "web-1", "stop", "complete"), stub("a2", "web-1", "stop", "complete")},
			}
			if err := c.StopJob(context.Background(), "web-1"); err != nil {
				t.Fatal(err)
			}
			listings := 2
			if ended {
				listings = 1
			}
			allocs := "GET /v1/job/web-1/allocations?all=true"
			want := []string{"DELETE /v1/job/web-1?purge=false"}
			for range listings {
				want = append(want, allocs)
			}
			want = append(want, "DELETE /v1/job/web-1?purge=true")
			if got := onJob(fn, "web-1"); !slices.Equal(got, want) {
				t.Errorf("with an allocation %s, Nomad was asked:\n%s\nwant:\n%s", status, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestRemoveOnAnEndedContextPurgesAtOnce: a run interrupted (Ctrl-C)
// takes back the job it submitted with one purge, without stopping it
// first or waiting for its allocations: Nomad stops them itself.
func TestRemoveOnAnEndedContextPurgesAtOnce(t *testing.T) {
	c, fn, _ := newFakes(t, nil)
	fn.allocs["web-1"] = [][]*nomad.AllocationListStub{{stub("a1", "web-1", "run", "running")}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.remove(ctx, "web-1"); err != nil {
		t.Fatal(err)
	}
	if got, want := fn.all(), []string{"DELETE /v1/job/web-1?purge=true"}; !slices.Equal(got, want) {
		t.Errorf("remove on an ended context asked Nomad %v, want only %v", got, want)
	}
}
