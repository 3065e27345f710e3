package deploy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	consul "github.com/hashicorp/consul/api"
	nomad "github.com/hashicorp/nomad/api"

	"microwizard/internal/svctl/record"
)

// Instance is one running copy of a service, as svctl started it.
type Instance struct {
	JobID   string
	AllocID string
	Service string // Consul service name
	Address string // the sidecar's (or the service's) address in Consul
	Elapsed time.Duration
}

// HealthError is returned when an instance did not become healthy in time or
// its task failed: it carries what the user needs to see why.
type HealthError struct {
	JobID, AllocID string
	Reason         string
	// RefusedArtifact is the URL of an artifact a node refused for its
	// checksum, "" if none was.
	RefusedArtifact string
	Events          []string // the failing tasks' events, oldest first
	LogTails        map[string]string
}

func (e *HealthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "job %s, allocation %s: %s", e.JobID, record.ShortID(e.AllocID), e.Reason)
	for _, ev := range e.Events {
		fmt.Fprintf(&b, "\n    %s", ev)
	}
	tasks := make([]string, 0, len(e.LogTails))
	for t := range e.LogTails {
		tasks = append(tasks, t)
	}
	sort.Strings(tasks)
	for _, t := range tasks {
		fmt.Fprintf(&b, "\n--- last lines of %s ---\n%s", t, strings.TrimRight(e.LogTails[t], "\n"))
	}
	return b.String()
}

// Parse turns job HCL into a job, using the Nomad agent's own parser so that
// what is checked is exactly what would run.
func (c *Client) Parse(jobHCL string) (*nomad.Job, error) {
	job, err := c.nomad.Jobs().ParseHCLOpts(&nomad.JobsParseRequest{JobHCL: jobHCL, Canonicalize: true})
	if err != nil {
		return nil, fmt.Errorf("parse job: %w", err)
	}
	return job, nil
}

// Run submits the new job jobID, rendered as jobHCL, and follows it until
// its one instance is healthy in Consul, printing progress. A job with the
// same ID must not exist: a run never replaces or restarts what already
// runs. If the instance does not become healthy within timeout, the job is
// stopped and purged and the error (a *HealthError where a task ran) says
// why.
func (c *Client) Run(ctx context.Context, jobID, jobHCL string, timeout time.Duration) (*Instance, error) {
	start := time.Now()
	job, err := c.Parse(jobHCL)
	if err != nil {
		return nil, err
	}
	if job.ID == nil || *job.ID != jobID {
		return nil, fmt.Errorf("the rendered job is not named %s, the job ID svctl gave it as job_name: the pack's job must be named by job_name", jobID)
	}
	if len(job.TaskGroups) != 1 || len(job.TaskGroups[0].Services) == 0 {
		return nil, errors.New("job must have exactly one group with a service")
	}
	service := job.TaskGroups[0].Services[0].Name

	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted before submitting job %s; nothing was submitted", jobID)
	}
	resp, err := c.register(job, true, 0, (&nomad.WriteOptions{}).WithContext(ctx))
	if err != nil {
		// The server may have taken it before the answer was lost (or
		// Ctrl-C cut the call): a job of this new ID is this run's, so take
		// it back (no job is fine).
		_ = c.remove(ctx, jobID)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("interrupted while submitting job %s; it was purged", jobID)
		}
		return nil, fmt.Errorf("submit job %s: %w", jobID, err)
	}
	c.printf("==> %s: submitted job %q\n", stamp(), jobID)

	addr, allocID, err := c.follow(ctx, jobID, resp.EvalID, service, timeout)
	if err != nil {
		// A run that failed leaves nothing behind: what was submitted goes.
		if derr := c.remove(ctx, jobID); derr != nil {
			return nil, fmt.Errorf("%w\n(stopping job %s failed too: %v)", err, jobID, derr)
		}
		c.printf("==> %s: stopped and purged job %q\n", stamp(), jobID)
		return nil, err
	}
	inst := &Instance{JobID: jobID, AllocID: allocID, Service: service, Address: addr, Elapsed: time.Since(start)}
	c.printf("==> %s: instance %s of %s is healthy in Consul at %s (%.1fs)\n", stamp(), record.ShortID(allocID), service, addr, inst.Elapsed.Seconds())
	return inst, nil
}

// follow waits for the job's evaluation, its allocation, and the instance's
// health in Consul, for at most timeout.
func (c *Client) follow(ctx context.Context, jobID, evalID, service string, timeout time.Duration) (addr, allocID string, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.followEval(ctx, evalID); err != nil {
		return "", "", fmt.Errorf("job %s: %w", jobID, err)
	}
	if allocID, err = c.waitAlloc(ctx, jobID); err != nil {
		return "", "", fmt.Errorf("job %s: %w", jobID, err)
	}
	addr, err = c.followAlloc(ctx, jobID, allocID, service)
	return addr, allocID, err
}

// followEval waits for the evaluation to finish and turns placement failures
// into an error that says what was missing.
func (c *Client) followEval(ctx context.Context, evalID string) error {
	c.printf("    Monitoring evaluation %q\n", record.ShortID(evalID))
	last := ""
	for {
		ev, _, err := c.nomad.Evaluations().Info(evalID, (&nomad.QueryOptions{}).WithContext(ctx))
		if err != nil {
			return fmt.Errorf("evaluation %s: %w", record.ShortID(evalID), err)
		}
		if ev.Status != last {
			c.printf("    Evaluation status %q\n", ev.Status)
			last = ev.Status
		}
		if len(ev.FailedTGAllocs) > 0 {
			return fmt.Errorf("placement failed: %s", placementFailure(ev.FailedTGAllocs))
		}
		switch ev.Status {
		case "complete":
			return nil
		case "failed", "canceled":
			return fmt.Errorf("evaluation %s %s: %s", record.ShortID(evalID), ev.Status, ev.StatusDescription)
		}
		if err := sleep(ctx, c.pollEvery()); err != nil {
			return fmt.Errorf("waiting for evaluation %s: %w", record.ShortID(evalID), err)
		}
	}
}

func placementFailure(failed map[string]*nomad.AllocationMetric) string {
	var parts []string
	for group, m := range failed {
		var why []string
		for k, n := range m.ConstraintFiltered {
			why = append(why, fmt.Sprintf("constraint %s filtered %d node(s)", k, n))
		}
		for k, n := range m.DimensionExhausted {
			why = append(why, fmt.Sprintf("%s exhausted on %d node(s)", k, n))
		}
		for k, n := range m.ClassFiltered {
			why = append(why, fmt.Sprintf("class %s filtered %d node(s)", k, n))
		}
		if m.NodesEvaluated == 0 {
			why = append(why, "no eligible nodes")
		}
		sort.Strings(why)
		parts = append(parts, fmt.Sprintf("group %q: %s", group, strings.Join(why, "; ")))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// waitAlloc waits for the job's allocation to exist.
func (c *Client) waitAlloc(ctx context.Context, jobID string) (string, error) {
	for {
		allocs, _, err := c.nomad.Jobs().Allocations(jobID, false, (&nomad.QueryOptions{}).WithContext(ctx))
		if err != nil {
			return "", fmt.Errorf("list allocations: %w", err)
		}
		if len(allocs) > 0 {
			sort.Slice(allocs, func(i, j int) bool { return allocs[i].CreateIndex > allocs[j].CreateIndex })
			a := allocs[0]
			c.printf("    Allocation %q created on node %q\n", record.ShortID(a.ID), a.NodeName)
			return a.ID, nil
		}
		if err := sleep(ctx, c.pollEvery()); err != nil {
			return "", fmt.Errorf("waiting for an allocation: %w", err)
		}
	}
}

// artifactURLRE finds the source in Nomad's "Failed Artifact Download" event.
var artifactURLRE = regexp.MustCompile(`failed to download artifact "([^"]+)"`)

// checksumRefused reports whether a task of the allocation failed to
// download an artifact because its checksum did not match, and its URL.
func checksumRefused(a *nomad.Allocation) (string, bool) {
	for _, ts := range a.TaskStates {
		for _, ev := range ts.Events {
			msg := eventText(ev)
			if ev.Type == nomad.TaskArtifactDownloadFailed && strings.Contains(msg, "Checksums did not match") {
				url := ""
				if m := artifactURLRE.FindStringSubmatch(msg); m != nil {
					url = m[1]
				}
				return url, true
			}
		}
	}
	return "", false
}

// missingVarRE finds the Variable in Nomad's template event "Missing:
// nomad.var.block(PATH@NAMESPACE.REGION)".
var missingVarRE = regexp.MustCompile(`Missing: nomad\.var\.block\(([^@)]+)@([^.)]+)\.[^)]*\)`)

// variableRef is a Nomad Variable a template waits for.
type variableRef struct{ path, namespace string }

// missingVariable reports whether a task of the allocation waits for a
// Nomad Variable its template cannot read, and which.
func missingVariable(a *nomad.Allocation) (variableRef, bool) {
	for _, ts := range a.TaskStates {
		for _, ev := range ts.Events {
			if ev.Type != "Template" {
				continue
			}
			if m := missingVarRE.FindStringSubmatch(eventText(ev)); m != nil {
				return variableRef{path: m[1], namespace: m[2]}, true
			}
		}
	}
	return variableRef{}, false
}

// followAlloc prints task events as they happen and returns once the
// allocation's service and its sidecar pass their Consul checks.
func (c *Client) followAlloc(ctx context.Context, jobID, allocID, service string) (string, error) {
	seen := map[string]int{}
	lastHealth := ""
	var alloc *nomad.Allocation
	fail := func(reason string) error {
		herr := &HealthError{JobID: jobID, AllocID: allocID, Reason: reason}
		if alloc != nil {
			herr.Events, herr.LogTails = c.diagnose(alloc)
		}
		return herr
	}
	for {
		a, _, err := c.nomad.Allocations().Info(allocID, (&nomad.QueryOptions{}).WithContext(ctx))
		if err != nil {
			if ended := ctxEnded(ctx, lastHealth, fail); ended != nil {
				return "", ended
			}
			return "", fmt.Errorf("allocation %s: %w", record.ShortID(allocID), err)
		}
		alloc = a
		c.printEvents(a, seen)
		// A download the node refused for its checksum will not get better
		// by retrying: say so now.
		if url, refused := checksumRefused(a); refused {
			shown := url
			if shown == "" {
				shown = "(its URL was not in Nomad's event)"
			}
			herr := fail(fmt.Sprintf("node %s refused the artifact %s: its checksum does not match the job's, so the object in the store is not the build svctl published", a.NodeName, shown)).(*HealthError)
			herr.RefusedArtifact = url
			return "", herr
		}
		// A template waiting for a Nomad Variable that is not there (or
		// that the job may not read) waits until the deadline: say so now.
		if missing, ok := missingVariable(a); ok {
			return "", fail(fmt.Sprintf("the job waits for the Nomad Variable %s, which does not exist or which its jobs may not read: put it once for the namespace (e.g. `nomad var put -namespace %s %s ITEM=VALUE`, README: No secret in a job)", missing.path, missing.namespace, missing.path))
		}
		switch a.ClientStatus {
		case "failed", "lost", "complete":
			return "", fail("allocation " + a.ClientStatus)
		}
		if a.ClientStatus == "running" {
			h, err := c.healthOf(service, allocID)
			if err != nil {
				return "", err
			}
			if summary := h.summary(service); summary != lastHealth {
				c.printf("    Consul: %s\n", summary)
				lastHealth = summary
			}
			if h.healthy() {
				return h.address(), nil
			}
		}
		if err := sleep(ctx, c.pollEvery()); err != nil {
			return "", ctxEnded(ctx, lastHealth+c.failingChecks(service, allocID), fail)
		}
	}
}

// ctxEnded is the error of a follow whose context ended: interrupted (no
// diagnosis: the user asked to stop), or not healthy in time (with one).
// nil while the context runs.
func ctxEnded(ctx context.Context, health string, fail func(string) error) error {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return errors.New("interrupted before the instance was healthy")
	case ctx.Err() != nil:
		return fail("not healthy in Consul in time: " + health)
	}
	return nil
}

// failingChecks describes the allocation's Consul checks that do not pass,
// with what they last saw. It asks the agent svctl talks to, which runs the
// checks when it is the allocation's node's (a dev agent); on a cluster that
// agent is elsewhere, and the catalog's view (updated when a status
// changes) is what there is.
func (c *Client) failingChecks(service, allocID string) string {
	var lines []string
	add := func(name, status, output string) {
		lines = append(lines, fmt.Sprintf("\n    check %q %s: %s", name, status, strings.TrimSpace(output)))
	}
	if checks, err := c.consul.Agent().Checks(); err == nil {
		for _, chk := range checks {
			if strings.Contains(chk.ServiceID, allocID) && chk.Status != consul.HealthPassing {
				add(chk.Name, chk.Status, chk.Output)
			}
		}
	}
	if len(lines) == 0 {
		for _, name := range []string{service, service + "-sidecar-proxy"} {
			checks, _, err := c.consul.Health().Checks(name, nil)
			if err != nil {
				continue
			}
			for _, chk := range checks {
				if strings.Contains(chk.ServiceID, allocID) && chk.Status != consul.HealthPassing {
					add(chk.Name, chk.Status, chk.Output)
				}
			}
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "")
}

// printEvents prints each task event once.
func (c *Client) printEvents(a *nomad.Allocation, seen map[string]int) {
	tasks := make([]string, 0, len(a.TaskStates))
	for t := range a.TaskStates {
		tasks = append(tasks, t)
	}
	sort.Strings(tasks)
	for _, t := range tasks {
		evs := a.TaskStates[t].Events
		for _, ev := range evs[seen[t]:] {
			c.printf("    Task %q: %s\n", t, eventText(ev))
		}
		seen[t] = len(evs)
	}
}

func eventText(ev *nomad.TaskEvent) string {
	msg := ev.DisplayMessage
	if msg == "" {
		msg = ev.Message
	}
	if msg == "" {
		return ev.Type
	}
	return ev.Type + ": " + msg
}

// health is an instance's health in Consul: the entries Nomad registered
// for its allocation, the service's and its sidecar's (nil: not
// registered).
type health struct{ app, side *consul.ServiceEntry }

// healthOf reads the Consul health of the allocation's instance of service.
func (c *Client) healthOf(service, allocID string) (health, error) {
	hs, err := c.healthSet(service)
	if err != nil {
		return health{}, err
	}
	return hs.of(allocID), nil
}

// healthSet is what Consul lists of a service's instances and of their
// sidecars, to find each allocation's in.
type healthSet struct{ app, side []*consul.ServiceEntry }

// healthSet reads the Consul health of every instance of service and of
// their sidecars.
func (c *Client) healthSet(service string) (healthSet, error) {
	var hs healthSet
	var err error
	if hs.app, _, err = c.consul.Health().Service(service, "", false, nil); err != nil {
		return healthSet{}, fmt.Errorf("consul health of %s: %w", service, err)
	}
	if hs.side, _, err = c.consul.Health().Service(service+"-sidecar-proxy", "", false, nil); err != nil {
		return healthSet{}, fmt.Errorf("consul health of %s-sidecar-proxy: %w", service, err)
	}
	return hs, nil
}

// of is the allocation's instance: the Consul entries Nomad registered for
// it (Nomad's service IDs embed the allocation ID).
func (hs healthSet) of(allocID string) health {
	find := func(entries []*consul.ServiceEntry) *consul.ServiceEntry {
		for _, e := range entries {
			if strings.Contains(e.Service.ID, allocID) {
				return e
			}
		}
		return nil
	}
	return health{find(hs.app), find(hs.side)}
}

// address is where the instance is reached: its sidecar where it has one,
// "" while it is not registered.
func (h health) address() string {
	switch {
	case h.side != nil:
		return fmt.Sprintf("%s:%d", h.side.Service.Address, h.side.Service.Port)
	case h.app != nil:
		return fmt.Sprintf("%s:%d", h.app.Service.Address, h.app.Service.Port)
	}
	return ""
}

// status is the instance's health in one word, as ps shows it:
// unregistered, the service's checks, or "sidecar S" when the service
// passes and its sidecar does not.
func (h health) status() string {
	if h.app == nil {
		return "unregistered"
	}
	s := h.app.Checks.AggregatedStatus()
	if h.side != nil {
		if side := h.side.Checks.AggregatedStatus(); side != consul.HealthPassing && s == consul.HealthPassing {
			return "sidecar " + side
		}
	}
	return s
}

// healthy reports whether the service and its sidecar pass their checks.
func (h health) healthy() bool { return h.status() == consul.HealthPassing }

// summary says it for a follow: "web passing, sidecar passing at 10.0.0.1:2000".
func (h health) summary(service string) string {
	if h.app == nil {
		return service + ": not registered yet"
	}
	s := fmt.Sprintf("%s %s", service, h.app.Checks.AggregatedStatus())
	if h.side != nil {
		s += fmt.Sprintf(", sidecar %s at %s:%d", h.side.Checks.AggregatedStatus(), h.side.Service.Address, h.side.Service.Port)
	}
	return s
}

// diagnose collects the events of the allocation's tasks and the tail of
// their stderr logs.
func (c *Client) diagnose(a *nomad.Allocation) ([]string, map[string]string) {
	var events []string
	tails := map[string]string{}
	tasks := make([]string, 0, len(a.TaskStates))
	for t := range a.TaskStates {
		tasks = append(tasks, t)
	}
	sort.Strings(tasks)
	for _, t := range tasks {
		for _, ev := range a.TaskStates[t].Events {
			events = append(events, fmt.Sprintf("%s %s: %s", time.Unix(0, ev.Time).UTC().Format("15:04:05"), t, eventText(ev)))
		}
		if tail := c.logTail(a, t, 20); tail != "" {
			tails[t] = tail
		}
	}
	return events, tails
}

// logTail returns the last n lines of a task's stderr, or "" if unreadable.
func (c *Client) logTail(a *nomad.Allocation, task string, n int) string {
	rc, err := c.nomad.AllocFS().Cat(a, "alloc/logs/"+task+".stderr.0", nil)
	if err != nil {
		return ""
	}
	defer rc.Close()
	var b strings.Builder
	buf := make([]byte, 32*1024)
	for {
		k, err := rc.Read(buf)
		b.WriteString(string(buf[:k]))
		if err != nil {
			break
		}
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func stamp() string { return time.Now().UTC().Format(time.RFC3339) }
