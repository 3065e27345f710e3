// Package meshlab runs the demo's mesh on one host without Nomad: a real
// Consul dev agent, the monolith and instances of lobsters-popularity, each
// with a real Envoy sidecar, routed by the envoy/ config entries.
//
// Every service is registered in Consul the way Nomad registers it: the lab
// renders packs/lobsters-popularity (as svctl does) and reads
// jobs/lobsters.nomad.hcl, parses the jobs (ParseJob) and turns each group's
// service into a Consul registration (Registration). Only the addresses
// differ: Nomad gives each allocation a network namespace where the service
// listens on the job's port; here every process shares the host's loopback, so
// each gets free ports standing in for the namespace's (a Placement).
//
// Each instance reaches MySQL through a TCP forwarder of its own, which the
// lab can cut to make that instance's /health fail.
package meshlab
