package deploy

import (
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// Row is one instance for `svctl ps`.
type Row struct {
	Service   string `json:"service"`
	Name      string `json:"name"`
	Owner     string `json:"owner"`     // who ran it; "" from before svctl recorded owners
	Namespace string `json:"namespace"` // its Nomad namespace; "" from before svctl recorded it
	Mode      string `json:"mode"`      // shared or private; set by the caller, which knows the mesh
	// MarkedPrivate: the instance is marked private in its own service
	// meta (run --private, or demoted since), as Consul lists it; as its
	// job was run while Consul does not list it.
	MarkedPrivate bool `json:"marked_private"`
	// Expires is when the version expires (set by the caller, which
	// reads the expiries); nil: never.
	Expires      *time.Time `json:"expires,omitempty"`
	JobID        string     `json:"job_id"`
	AllocID      string     `json:"alloc_id"`
	Node         string     `json:"node"`
	Source       string     `json:"source"`
	Commit       string     `json:"commit"`
	SourceDir    string     `json:"source_dir"`
	Artifact     string     `json:"artifact,omitempty"` // the published build's sha256:HEX`
	Address      string     `json:"address"`
	NomadStatus  string     `json:"nomad_status"`
	ConsulHealth string     `json:"consul_health"`
}

// Instances lists every live allocation of the jobs svctl ran, with its
// Nomad status and Consul health; service "" means every service. It asks
// the agents the same few questions however many versions run, and all but
// the first at once: the jobs, then the allocations and each service's
// health and its sidecar's.
func (c *Client) Instances(service string) ([]Row, error) {
	jobs, err := c.Jobs(service)
	if err != nil {
		return nil, err
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	var (
		wg         sync.WaitGroup
		allocs     map[string][]*nomad.AllocationListStub
		allocErr   error
		healths    = map[string]*healthSet{}
		healthErrs = map[string]*error{}
	)
	wg.Go(func() { allocs, allocErr = c.liveAllocsByJob() })
	for _, j := range jobs {
		if _, ok := healths[j.Service]; ok {
			continue
		}
		hs, herr := new(healthSet), new(error)
		healths[j.Service], healthErrs[j.Service] = hs, herr
		wg.Go(func() { *hs, *herr = c.healthSet(j.Service) })
	}
	wg.Wait()
	errs := []error{allocErr}
	for _, s := range slices.Sorted(maps.Keys(healthErrs)) {
		errs = append(errs, *healthErrs[s])
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var rows []Row
	for _, j := range jobs {
		for _, a := range allocs[j.ID] {
			r := Row{
				Service: j.Service, Name: j.Name, Owner: j.Owner, MarkedPrivate: j.Private, Namespace: j.Namespace, JobID: j.ID, AllocID: a.ID, Node: a.NodeName,
				Source: j.Source, Commit: j.Commit, SourceDir: j.SourceDir, Artifact: j.Artifact,
				NomadStatus: a.ClientStatus,
			}
			h := healths[j.Service].of(a.ID)
			r.ConsulHealth, r.Address = h.status(), h.address()
			if h.app != nil {
				r.MarkedPrivate = marked(h.app)
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}
