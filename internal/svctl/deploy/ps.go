package deploy

import "time"

// Row is one instance for `svctl ps`.
type Row struct {
	Service    string `json:"service"`
	Name       string `json:"name"`
	Owner      string `json:"owner"`       // who ran it; "" from before svctl recorded owners
	Namespace  string `json:"namespace"`   // its Nomad namespace; "" from before svctl recorded it
	Mode       string `json:"mode"`        // shared or private; set by the caller, which knows the mesh
	RunPrivate bool   `json:"run_private"` // run as a private version: marked so in its own meta
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
// the agents the same few questions however many versions run: the jobs,
// the allocations, and each service's health and its sidecar's.
func (c *Client) Instances(service string) ([]Row, error) {
	jobs, err := c.Jobs(service)
	if err != nil {
		return nil, err
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	allocs, err := c.liveAllocsByJob()
	if err != nil {
		return nil, err
	}
	healths := map[string]healthSet{}
	var rows []Row
	for _, j := range jobs {
		for _, a := range allocs[j.ID] {
			r := Row{
				Service: j.Service, Name: j.Name, Owner: j.Owner, RunPrivate: j.Private, Namespace: j.Namespace, JobID: j.ID, AllocID: a.ID, Node: a.NodeName,
				Source: j.Source, Commit: j.Commit, SourceDir: j.SourceDir, Artifact: j.Artifact,
				NomadStatus: a.ClientStatus,
			}
			hs, ok := healths[j.Service]
			if !ok {
				if hs, err = c.healthSet(j.Service); err != nil {
					return nil, err
				}
				healths[j.Service] = hs
			}
			h := hs.of(a.ID)
			r.ConsulHealth, r.Address = h.status(), h.address()
			rows = append(rows, r)
		}
	}
	return rows, nil
}
