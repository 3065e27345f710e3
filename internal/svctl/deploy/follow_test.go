package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"
)

// failedTask is the state of a task web that started and exited with 1.
func failedTask() map[string]*nomad.TaskState {
	return map[string]*nomad.TaskState{"web": {State: "dead", Failed: true, Events: []*nomad.TaskEvent{
		{Type: "Started", DisplayMessage: "Task started by client", Time: t0.UnixNano()},
		{Type: "Terminated", DisplayMessage: "Exit Code: 1", Time: t0.Add(2 * time.Second).UnixNano()},
	}}}
}

// stderrLines is a task's stderr of the lines numbered from to to.
func stderrLines(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

// placedOnce makes the fake Nomad one where the evaluation eval-1 of job
// web-1 has completed and placed the allocation allocID, in status status:
// its task web started and, unless running, exited with 1.
func placedOnce(fn *fakeNomad, status string) {
	fn.evals["eval-1"] = &nomad.Evaluation{ID: "eval-1", JobID: "web-1", Status: "complete"}
	fn.allocs["web-1"] = [][]*nomad.AllocationListStub{{stub(allocID, "web-1", "run", status)}}
	a := &nomad.Allocation{ID: allocID, JobID: "web-1", TaskGroup: "web", NodeName: "node-1", DesiredStatus: "run", ClientStatus: status, TaskStates: failedTask()}
	if status == "running" {
		a.TaskStates["web"] = &nomad.TaskState{State: "running", Events: a.TaskStates["web"].Events[:1]}
	}
	fn.alloc[allocID] = a
	fn.logs[allocID+" alloc/logs/web.stderr.0"] = stderrLines(1, 25)
}

// TestFollowOfAnEndedAllocationIsAHealthError: an allocation that failed,
// was lost or completed will not become healthy: the follow ends at once
// with a HealthError that names the job and allocation, says what became
// of it, and carries its tasks' events and the last 20 lines of their
// stderr. One running whose service and sidecar pass is followed to its
// address.
func TestFollowOfAnEndedAllocationIsAHealthError(t *testing.T) {
	for _, status := range []string{"failed", "lost", "complete", "running"} {
		t.Run(status, func(t *testing.T) {
			c, fn, fc := newFakes(t, nil)
			placedOnce(fn, status)
			fc.entries["web"] = []*consul.ServiceEntry{entry("web", allocID, "10.0.0.5", 8080, "passing")}
			fc.entries["web-sidecar-proxy"] = []*consul.ServiceEntry{entry("web-sidecar-proxy", allocID, "10.0.0.5", 24567, "passing")}
			addr, id, err := c.follow(context.Background(), "web-1", "eval-1", "web", time.Minute)
			if status == "running" {
				if err != nil || addr != "10.0.0.5:24567" || id != allocID {
					t.Fatalf("follow of a healthy instance: %q, %q, %v; want its sidecar's address 10.0.0.5:24567", addr, id, err)
				}
				return
			}
			var herr *HealthError
			if !errors.As(err, &herr) {
				t.Fatalf("follow of an allocation %s: %v, want a *HealthError", status, err)
			}
			if herr.JobID != "web-1" || herr.AllocID != allocID || herr.Reason != "allocation "+status {
				t.Errorf("HealthError{JobID: %q, AllocID: %q, Reason: %q}, want web-1, %s, %q", herr.JobID, herr.AllocID, herr.Reason, allocID, "allocation "+status)
			}
			if want := []string{"12:00:00 web: Started: Task started by client", "12:00:02 web: Terminated: Exit Code: 1"}; !slices.Equal(herr.Events, want) {
				t.Errorf("events %q, want %q", herr.Events, want)
			}
			if got, want := herr.LogTails["web"], strings.TrimSuffix(stderrLines(6, 25), "\n"); got != want {
				t.Errorf("stderr tail of web:\n%s\nwant the last 20 lines:\n%s", got, want)
			}
			for _, want := range []string{"job web-1, allocation 3f2a1b4c: allocation " + status, "Terminated: Exit Code: 1", "--- last lines of web ---\nline 6\n"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the user reads\n%s\nwithout %q", err, want)
				}
			}
			if got := fc.requests; len(got) != 0 {
				t.Errorf("an ended allocation's health was asked of Consul: %v", got)
			}
		})
	}
}

// TestRunOfAnInstanceThatFailsLeavesNothingBehind: a run whose
// allocation fails returns the HealthError and takes back the job it
// submitted: stopped, waited for, purged.
func TestRunOfAnInstanceThatFailsLeavesNothingBehind(t *testing.T) {
	var out strings.Builder
	c, fn, _ := newFakes(t, &out)
	placedOnce(fn, "failed")
	fn.parsed = &nomad.Job{ID: new("web-1"), Name: new("web-1"), TaskGroups: []*nomad.TaskGroup{{Name: new("web"), Services: []*nomad.Service{{Name: "web"}}}}}
	fn.evals["eval-of-web-1"] = fn.evals["eval-1"]
	_, err := c.Run(context.Background(), "web-1", `job "web-1" {}`, time.Minute)
	var herr *HealthError
	if !errors.As(err, &herr) || herr.Reason != "allocation failed" {
		t.Fatalf("Run of an instance whose allocation fails: %v, want a HealthError saying so", err)
	}
	want := []string{"PUT /v1/jobs", "DELETE /v1/job/web-1?purge=false", "DELETE /v1/job/web-1?purge=true"}
	var got []string
	for _, r := range fn.all() {
		if strings.HasPrefix(r, "PUT /v1/jobs") && r != "PUT /v1/jobs/parse" || strings.HasPrefix(r, "DELETE") {
			got = append(got, r)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Nomad was sent %v, want %v", got, want)
	}
	if !strings.Contains(out.String(), `stopped and purged job "web-1"`) {
		t.Errorf("Run printed\n%s\nwithout saying the job was purged", out.String())
	}
}

// TestPlacementFailureSaysWhatWasMissing: an evaluation that could not
// place a group says, for each group in name order, which constraints,
// resources and classes filtered how many nodes, or that no node was
// eligible; and the follow ends with it instead of waiting for an
// allocation.
func TestPlacementFailureSaysWhatWasMissing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		failed map[string]*nomad.AllocationMetric
		want   string
	}{
		{"a constraint", map[string]*nomad.AllocationMetric{
			"web": {NodesEvaluated: 3, ConstraintFiltered: map[string]int{"${attr.cpu.arch} = arm64": 3}},
		}, `group "web": constraint ${attr.cpu.arch} = arm64 filtered 3 node(s)`},
		{"no eligible node", map[string]*nomad.AllocationMetric{
			"web": {NodesEvaluated: 0},
		}, `group "web": no eligible nodes`},
		{"every reason, sorted, in groups by name", map[string]*nomad.AllocationMetric{
			"web": {NodesEvaluated: 4, DimensionExhausted: map[string]int{"memory": 2, "network: reserved port collision http=8080": 1}, ClassFiltered: map[string]int{"gpu": 1}},
			"api": {NodesEvaluated: 2, ConstraintFiltered: map[string]int{"${attr.kernel.name} = linux": 2}},
		}, `group "api": constraint ${attr.kernel.name} = linux filtered 2 node(s); ` +
			`group "web": class gpu filtered 1 node(s); memory exhausted on 2 node(s); network: reserved port collision http=8080 exhausted on 1 node(s)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := placementFailure(tc.failed); got != tc.want {
				t.Errorf("placementFailure:\n%s\nwant:\n%s", got, tc.want)
			}
			c, fn, _ := newFakes(t, nil)
			fn.evals["eval-1"] = &nomad.Evaluation{ID: "eval-1", JobID: "web-1", Status: "complete", FailedTGAllocs: tc.failed}
			_, _, err := c.follow(context.Background(), "web-1", "eval-1", "web", time.Minute)
			if want := "job web-1: placement failed: " + tc.want; err == nil || err.Error() != want {
				t.Errorf("follow of an evaluation that placed nothing: %v, want %q", err, want)
			}
			if got := fn.seen("GET", "/v1/job/"); len(got) != 0 {
				t.Errorf("the follow went on to wait for an allocation: %v", got)
			}
		})
	}
}
