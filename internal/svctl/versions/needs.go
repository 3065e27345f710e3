package versions

import "microwizard/internal/svctl/access"

// RecordsPrefix is where svctl keeps its records in Consul's KV store
// (expiries, forced stops): a command that writes one needs to write there.
const RecordsPrefix = "svctl/"

// StopNeeds are the rights svctl stop of a version of service needs, asked
// before anything is stopped: its jobs (found, then stopped), its route
// (taken out of Consul first, so that no request goes to a dying instance)
// and svctl's records (its expiry, a forced stop).
func StopNeeds(service string) []access.Need {
	return []access.Need{
		access.NomadNamespace(access.CapListJobs, "to find the version's instances"),
		access.NomadNamespace(access.CapReadJob, "to read the version's jobs"),
		access.NomadNamespace(access.CapSubmitJob, "to stop the version's jobs"),
		access.ConsulService(service, access.Write, "to take the version out of its routes first"),
		access.ConsulKeyPrefix(RecordsPrefix, access.Write, "to clear its expiry and record a forced stop"),
	}
}

// ModeNeeds are the rights promote and demote of a version of service
// need: its route (the resolver and router) and the mark on its instances
// (a Nomad job update of their services' meta).
func ModeNeeds(service string) []access.Need {
	return []access.Need{
		access.NomadNamespace(access.CapListJobs, "to find the version's instances"),
		access.NomadNamespace(access.CapReadJob, "to read the version's jobs"),
		access.NomadNamespace(access.CapSubmitJob, "to change the private mark on its instances"),
		access.ConsulService(service, access.Write, "to change its route"),
	}
}
