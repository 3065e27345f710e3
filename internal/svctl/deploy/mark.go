package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/svctl/record"
)

// markTimeout bounds the wait for Consul to list the instances with their
// new mark.
const markTimeout = 30 * time.Second

// MarkPrivate marks the instances of the jobs (all of service) private, or
// no longer private, in their own Consul service meta (record.MetaPrivate):
// the mark the mesh's shared subset reads, so that what a version serves is
// a property of its instances and no rewrite of the resolver can put a
// demoted version back into everyone's rotation. Only the jobs' services
// change, which Nomad applies in place: nothing restarts, no connection is
// dropped. It returns once Consul lists every live instance of the jobs
// with the mark.
func (c *Client) MarkPrivate(ctx context.Context, service string, jobIDs []string, private bool) error {
	for _, id := range jobIDs {
		if err := c.markJob(id, private); err != nil {
			return err
		}
	}
	want := map[string]bool{}
	for _, id := range jobIDs {
		allocs, err := c.liveAllocs(id)
		if err != nil {
			return err
		}
		for _, a := range allocs {
			want[a.ID] = true
		}
	}
	deadline := time.Now().Add(markTimeout)
	for {
		hs, err := c.healthSet(service)
		if err != nil {
			return err
		}
		pending := 0
		for id := range want {
			if h := hs.of(id); h.app != nil && marked(h.app) != private {
				pending++
			}
		}
		if pending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mark the instances of %s: after %s Consul still lists %d of them unchanged", service, markTimeout, pending)
		}
		if err := sleep(ctx, c.pollEvery()); err != nil {
			return err
		}
	}
}

// marked reports whether Consul lists the instance marked private.
func marked(e *consul.ServiceEntry) bool { return e.Service.Meta[record.MetaPrivate] == "1" }

// markAttempts is how many times a job is read and written again when it
// changed between the two.
const markAttempts = 10

// markJob writes the mark into the services of job id, with a check on the
// job's modify index so that a change made meanwhile is not overwritten.
func (c *Client) markJob(id string, private bool) error {
	for attempt := 0; attempt < markAttempts; attempt++ {
		job, _, err := c.nomad.Jobs().Info(id, nil)
		if err != nil {
			return fmt.Errorf("read job %s: %w", id, err)
		}
		if !markServices(job, private) {
			return nil
		}
		_, err = c.register(job, true, *job.JobModifyIndex, nil)
		if err != nil && strings.Contains(err.Error(), nomad.RegisterEnforceIndexErrPrefix) {
			continue // changed meanwhile: read it again
		}
		if err != nil {
			return fmt.Errorf("mark job %s: %w", id, err)
		}
		return nil
	}
	return fmt.Errorf("mark job %s: it kept changing while svctl wrote it (%d tries): try again", id, markAttempts)
}

// markServices sets the mark in the meta of job's services that svctl
// records versions in (those whose meta names the deploy name), and
// reports whether anything changed. The job's own meta stays as the run
// wrote it: Nomad restarts tasks whose meta changes, and it is the record
// of how the version was run.
func markServices(job *nomad.Job, private bool) bool {
	changed := false
	mark := func(services []*nomad.Service) {
		for _, s := range services {
			if s.Meta[record.MetaDeployName] == "" || (s.Meta[record.MetaPrivate] == "1") == private {
				continue
			}
			if private {
				s.Meta[record.MetaPrivate] = "1"
			} else {
				delete(s.Meta, record.MetaPrivate)
			}
			changed = true
		}
	}
	for _, tg := range job.TaskGroups {
		mark(tg.Services)
		for _, t := range tg.Tasks {
			mark(t.Services)
		}
	}
	return changed
}
