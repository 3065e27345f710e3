package deploy

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/svctl/agents"
	"microwizard/internal/svctl/record"
)

// Job is one svctl-run job as Nomad lists it.
type Job struct {
	ID string
	record.Record
	Status     string
	SubmitTime time.Time
}

// Jobs lists the live (not dead) jobs svctl ran, oldest first; service ""
// means every service.
func (c *Client) Jobs(service string) ([]Job, error) {
	return c.jobs(service, nil)
}

// JobsEverywhere lists the live jobs svctl ran in every Nomad namespace:
// what gc must not collect.
func (c *Client) JobsEverywhere() ([]Job, error) {
	return c.jobs("", &nomad.QueryOptions{Namespace: "*"})
}

func (c *Client) jobs(service string, q *nomad.QueryOptions) ([]Job, error) {
	stubs, _, err := c.nomad.Jobs().ListOptions(&nomad.JobListOptions{Fields: &nomad.JobListFields{Meta: true}}, q)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	var out []Job
	for _, s := range stubs {
		rec, ok := record.Read(s.Meta)
		if !ok || s.Status == "dead" {
			continue
		}
		j := Job{ID: s.ID, Record: rec, Status: s.Status, SubmitTime: time.Unix(0, s.SubmitTime)}
		if service != "" && j.Service != service {
			continue
		}
		out = append(out, j)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].SubmitTime.Before(out[k].SubmitTime) })
	return out, nil
}

// NotFoundError says that no live instance has the NAME asked for.
type NotFoundError struct {
	Name  string
	Known []string
}

func (e *NotFoundError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("no running instances named %q (nothing is running)", e.Name)
	}
	return fmt.Sprintf("no running instances named %q (running: %s)", e.Name, strings.Join(e.Known, ", "))
}

// Stop removes every instance of NAME of service ("": of any), or only
// the newest with one. Each
// instance leaves Consul first (the job's shutdown_delay gives proxies time
// to stop sending it requests), then its tasks get SIGTERM and finish what
// they are serving. Stop returns once every stopped allocation is terminal.
func (c *Client) Stop(ctx context.Context, service, name string, one bool) ([]Job, error) {
	named, err := c.Named(name)
	if err != nil {
		return nil, err
	}
	var hit []Job
	for _, j := range named {
		if service == "" || j.Service == service {
			hit = append(hit, j)
		}
	}
	if len(hit) == 0 {
		return nil, &NotFoundError{Name: service + "/" + name}
	}
	if one {
		hit = hit[len(hit)-1:]
	}
	for _, j := range hit {
		if _, _, err := c.nomad.Jobs().Deregister(j.ID, false, nil); err != nil {
			return nil, fmt.Errorf("stop job %s: %w", j.ID, err)
		}
		c.printf("==> %s: stopping job %q (%s)\n", stamp(), j.ID, j.Name)
	}
	for _, j := range hit {
		if err := c.waitStoppedAndPurge(ctx, j.ID); err != nil {
			return nil, err
		}
		c.printf("    Job %q stopped and purged\n", j.ID)
	}
	return hit, nil
}

// remove takes back a job this run submitted: it stops it, waits until its
// allocations have ended (and so released their ports and network
// namespaces), and purges it. Once ctx has ended (Ctrl-C) it purges at once,
// within the cleanup grace: Nomad then stops the allocations itself, out of
// Consul first as for any stop.
func (c *Client) remove(ctx context.Context, jobID string) error {
	if ctx.Err() == nil {
		if _, _, err := c.nomad.Jobs().Deregister(jobID, false, (&nomad.WriteOptions{}).WithContext(ctx)); err != nil && ctx.Err() == nil {
			return fmt.Errorf("stop job %s: %w", jobID, err)
		}
		if err := c.waitStopped(ctx, jobID); err != nil && ctx.Err() == nil {
			return err
		}
	}
	if _, _, err := c.nomad.Jobs().Deregister(jobID, true, (&nomad.WriteOptions{}).WithContext(agents.Cleanup(ctx))); err != nil {
		return fmt.Errorf("purge job %s: %w", jobID, err)
	}
	return nil
}

func (c *Client) waitStoppedAndPurge(ctx context.Context, jobID string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := c.waitStopped(ctx, jobID); err != nil {
		return err
	}
	// The job is dead; purge it so that its ID and history go too.
	if _, _, err := c.nomad.Jobs().Deregister(jobID, true, nil); err != nil {
		return fmt.Errorf("purge job %s: %w", jobID, err)
	}
	return nil
}

// waitStopped waits until no allocation of the job is running.
func (c *Client) waitStopped(ctx context.Context, jobID string) error {
	reported := map[string]bool{}
	for {
		allocs, _, err := c.nomad.Jobs().Allocations(jobID, true, (&nomad.QueryOptions{}).WithContext(ctx))
		if err != nil {
			return fmt.Errorf("allocations of %s: %w", jobID, err)
		}
		live := 0
		for _, a := range allocs {
			if terminal(a) {
				if !reported[a.ID] {
					c.printf("    Allocation %q %s\n", record.ShortID(a.ID), a.ClientStatus)
					reported[a.ID] = true
				}
				continue
			}
			live++
		}
		if live == 0 {
			return nil
		}
		if err := sleep(ctx, c.pollEvery()); err != nil {
			return fmt.Errorf("waiting for %s to stop: %w", jobID, err)
		}
	}
}

func terminal(a *nomad.AllocationListStub) bool {
	switch a.ClientStatus {
	case "complete", "failed", "lost":
		return true
	}
	return false
}

// Named returns the live jobs of every service named name, oldest first, or
// a NotFoundError naming the names there are.
func (c *Client) Named(name string) ([]Job, error) {
	all, err := c.Jobs("")
	if err != nil {
		return nil, err
	}
	var hit []Job
	var known []string
	for _, j := range all {
		known = append(known, j.Name)
		if j.Name == name {
			hit = append(hit, j)
		}
	}
	if len(hit) == 0 {
		sort.Strings(known)
		return nil, &NotFoundError{Name: name, Known: slices.Compact(known)}
	}
	return hit, nil
}

// Allocations returns the live allocations (desired to run) of every job
// named name, oldest job first, or a NotFoundError when no job has that name.
func (c *Client) Allocations(name string) ([]*nomad.AllocationListStub, error) {
	jobs, err := c.Named(name)
	if err != nil {
		return nil, err
	}
	var out []*nomad.AllocationListStub
	for _, j := range jobs {
		allocs, err := c.liveAllocs(j.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, allocs...)
	}
	return out, nil
}

// liveAllocs returns the allocations of a job that are desired to run,
// oldest first.
func (c *Client) liveAllocs(jobID string) ([]*nomad.AllocationListStub, error) {
	allocs, _, err := c.nomad.Jobs().Allocations(jobID, false, nil)
	if err != nil {
		return nil, fmt.Errorf("allocations of %s: %w", jobID, err)
	}
	return live(allocs), nil
}

// liveAllocsByJob returns the allocations desired to run of every job of
// the namespace, by job ID, each job's oldest first: one listing for all,
// without the tasks' states and events (the bulk of each stub, which ps
// does not show).
func (c *Client) liveAllocsByJob() (map[string][]*nomad.AllocationListStub, error) {
	allocs, _, err := c.nomad.Allocations().List(&nomad.QueryOptions{Filter: `DesiredStatus == "run"`, Params: map[string]string{"task_states": "false"}})
	if err != nil {
		return nil, fmt.Errorf("list allocations: %w", err)
	}
	byJob := map[string][]*nomad.AllocationListStub{}
	for _, a := range live(allocs) {
		byJob[a.JobID] = append(byJob[a.JobID], a)
	}
	return byJob, nil
}

// live keeps the allocations desired to run, oldest first.
func live(allocs []*nomad.AllocationListStub) []*nomad.AllocationListStub {
	var out []*nomad.AllocationListStub
	for _, a := range allocs {
		if a.DesiredStatus == "run" {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, k int) bool { return out[i].CreateIndex < out[k].CreateIndex })
	return out
}

// StopJob stops one job as Stop stops each of a name's: out of Consul
// first, then its tasks finish what they serve. It returns once the job's
// allocations have ended and the job is purged.
func (c *Client) StopJob(ctx context.Context, jobID string) error {
	c.printf("==> %s: stopping job %q\n", stamp(), jobID)
	if err := c.remove(ctx, jobID); err != nil {
		return err
	}
	c.printf("    Job %q stopped and purged\n", jobID)
	return nil
}
