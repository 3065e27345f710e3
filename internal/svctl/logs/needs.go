package logs

import "microwizard/internal/svctl/access"

// Needs are the rights svctl logs needs: the version's allocations, the
// list of their log files (Nomad's fs API, which never serves a task's
// secrets directory) and the logs themselves.
func Needs() []access.Need {
	return []access.Need{
		access.NomadNamespace(access.CapReadJob, "to find the version's instances"),
		access.NomadNamespace(access.CapReadFS, "to list the instances' log files"),
		access.NomadNamespace(access.CapReadLogs, "to read and follow the instances' logs"),
	}
}
