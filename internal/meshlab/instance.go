package meshlab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"microwizard/internal/dbforward"
	"microwizard/internal/meshlab/jobspec"
	"microwizard/internal/svctl/render"
	"microwizard/internal/svctl/request"
	"microwizard/internal/svctl/snapshot"
)

// Instance is one instance of lobsters-popularity: one run of the pack, as
// `svctl run lobsters-popularity VERSION` makes it.
type Instance struct {
	Version   string // the deploy name, e.g. lobpop_v1
	AllocID   string // the allocation it stands for: the "instance" /popular shows
	ServiceID string // its Consul service ID, as Nomad names it
	JobName   string // the rendered job's ID
	JobFile   string // the rendered job, kept in the lab's jobs/
	URL       string // the service itself, without the mesh: http://127.0.0.1:PORT/

	alloc *allocation
	db    *dbforward.Forwarder

	stopOnce sync.Once
	stopErr  error
}

// AddInstance runs one instance of the service built as binary (the lab's
// EfficientBinary or SlowBinary, or any other build) under the deploy name
// version. It renders the pack for the run as svctl does, registers the
// instance as the rendered job says, and returns once the instance passes its
// checks and the monolith's Envoy lists it as a healthy endpoint.
func (l *Lab) AddInstance(ctx context.Context, version, binary string) (i *Instance, err error) {
	db, dsn, err := dbforward.New(l.opts.DSN)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	sourceDir, ok := l.sourceDirs[binary]
	l.mu.Unlock()
	if !ok {
		sourceDir = filepath.Dir(binary)
	}
	// The run svctl would make, with the lab's sidecar and database.
	req, err := request.New(l.pack, version, snapshot.Source{Kind: snapshot.UncommittedCopy}, "", map[string]string{
		"dsn":          dsn,
		"sidecar":      "envoy_raw_exec",
		"envoy_binary": l.envoyBin,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	jobName := req.NewJobID()
	text, err := render.Job(req.ForJob(jobName, "meshlab"), render.Built{SourceDir: sourceDir, Binary: binary}, nil)
	if err != nil {
		db.Close()
		return nil, err
	}
	jobFile := filepath.Join(l.dir, "jobs", jobName+".nomad.hcl")
	if err := os.WriteFile(jobFile, []byte(text), 0o644); err != nil {
		db.Close()
		return nil, fmt.Errorf("keep the rendered job: %w", err)
	}
	job, err := jobspec.Parse(jobFile, []byte(text), nil)
	if err != nil {
		db.Close()
		return nil, err
	}
	l.logf("starting %s (%s)", version, jobName)
	alloc, err := l.runAllocation(ctx, job, version)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("run %s: %w", jobName, err)
	}
	i = &Instance{
		Version:   version,
		AllocID:   alloc.id,
		ServiceID: alloc.reg.ID,
		JobName:   jobName,
		JobFile:   jobFile,
		URL:       fmt.Sprintf("http://%s:%d/", alloc.placement.Address, alloc.placement.ServicePort),
		alloc:     alloc,
		db:        db,
	}
	l.mu.Lock()
	l.instances = append(l.instances, i)
	l.mu.Unlock()
	if err := l.waitInRotation(ctx, i, true); err != nil {
		i.kill()
		return nil, err
	}
	return i, nil
}

// waitInRotation waits until the monolith's Envoy lists the instance as a
// healthy endpoint of its upstream (in), or no longer does (!in).
func (l *Lab) waitInRotation(ctx context.Context, i *Instance, in bool) error {
	host := i.sidecarHost()
	service := i.alloc.reg.Name
	return poll(ctx, healthyTimeout, l.monolith.sidecar.proc, func() (bool, error) {
		hosts, err := l.monolith.sidecar.healthyHosts(ctx, service)
		return err == nil && hosts[host] == in, nil
	}, func() string {
		return fmt.Sprintf("the monolith's Envoy still does not see %s (%s) as in rotation = %v", i.Version, host, in)
	})
}

// WaitRotation waits until the monolith's Envoy lists the instance as a
// healthy endpoint of its upstream (in), or no longer does (!in): how the
// mesh takes up what Consul says of it.
func (i *Instance) WaitRotation(ctx context.Context, in bool) error {
	return i.alloc.lab.waitInRotation(ctx, i, in)
}

// Served returns how many requests to / the instance itself has answered so
// far, by status, as its log says: the service writes one line for each
// (msg=served n=K status=S took=...) once the answer is sent. Whoever asked
// (the monolith, a retry of its Envoy, a caller) and whatever the answer
// (200, or 503 with its database cut), each counts once. The service must
// log at info, the pack's default.
func (i *Instance) Served() (map[int]int, error) {
	b, err := os.ReadFile(i.alloc.proc.logPath)
	if err != nil {
		return nil, fmt.Errorf("read the log of %s: %w", i.alloc.name, err)
	}
	text := string(b)
	// A last line without its newline may still be being written.
	text = text[:strings.LastIndexByte(text, '\n')+1]
	out := map[int]int{}
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if !slices.Contains(fields, "msg=served") {
			continue
		}
		status := 0 // a line without one still counts
		for _, f := range fields {
			if v, ok := strings.CutPrefix(f, "status="); ok {
				if status, err = strconv.Atoi(v); err != nil {
					return nil, fmt.Errorf("%s logged %q: %w", i.alloc.name, line, err)
				}
			}
		}
		out[status]++
	}
	return out, nil
}

// sidecarHost is the address the instance's sidecar serves the mesh on.
func (i *Instance) sidecarHost() string {
	return fmt.Sprintf("%s:%d", i.alloc.placement.Address, i.alloc.placement.SidecarPort)
}

// Health returns the status of the instance's checks in Consul: passing,
// warning or critical.
func (i *Instance) Health() (string, error) { return i.alloc.lab.checkStatus(i.ServiceID) }

// CutDB cuts the instance off its database: its open connections are closed
// and new ones refused, so its /health fails until RestoreDB.
func (i *Instance) CutDB() { i.db.Cut() }

// RestoreDB gives the instance its database back.
func (i *Instance) RestoreDB() { i.db.Restore() }

// Stop removes the instance as `svctl stop` does: out of Consul first, then
// after the job's shutdown_delay its service and sidecar stop, so no request
// is cut off. It may be called more than once.
func (i *Instance) Stop() error {
	i.stopOnce.Do(func() { i.stopErr = i.end(true) })
	return i.stopErr
}

// kill stops the instance at once (Lab.Close).
func (i *Instance) kill() error {
	i.stopOnce.Do(func() { i.stopErr = i.end(false) })
	return i.stopErr
}

func (i *Instance) end(drain bool) error {
	err := i.alloc.stop(drain)
	i.db.Close()
	lab := i.alloc.lab
	lab.mu.Lock()
	for k, x := range lab.instances {
		if x == i {
			lab.instances = append(lab.instances[:k], lab.instances[k+1:]...)
			break
		}
	}
	lab.mu.Unlock()
	if err != nil {
		return fmt.Errorf("stop %s: %w", i.JobName, err)
	}
	return nil
}
