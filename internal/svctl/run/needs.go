package run

import (
	"microwizard/internal/svctl/access"
	"microwizard/internal/svctl/request"
	"microwizard/internal/svctl/versions"
)

// Needs are the rights a run of r needs, asked of the agents before
// anything is copied or built, so that a token short of one is refused with
// the right named and nothing changed (not by Nomad's bare 403 after the
// build, or half-way).
func Needs(r *request.Request) []access.Need {
	n := []access.Need{
		access.NomadNodeRead("to choose the nodes that can run it"),
		access.NomadNamespace(access.CapListJobs, "to find the version's other instances"),
		access.NomadNamespace(access.CapReadJob, "to follow the new instance's deployment"),
		access.NomadNamespace(access.CapSubmitJob, "to submit the new instance's job"),
		access.ConsulService(r.Service, access.Write, "to register its instances (Nomad asks the submitter's token) and route them"),
		access.ConsulKeyPrefix(versions.RecordsPrefix, access.Write, "to record the version's expiry"),
	}
	if r.Templates() {
		n = append(n, access.ConsulKeyPrefix("", access.Read, "Nomad 1.6 asks it of whoever submits a job with a template block"))
	}
	return n
}
