// Package meshlab runs the demo's mesh on one host without Nomad: a real
// Consul dev agent, the monolith and instances of lobsters-popularity, each
// with a real Envoy sidecar, routed by the envoy/ config entries. It does only
// what Nomad's client would do: place each job's one group on the host,
// register its service in Consul, and run its task and its sidecar task.
//
// The jobs are the real ones: an instance is a run made by package run and
// rendered from packs/lobsters-popularity, as svctl makes it; the monolith is
// jobs/lobsters.nomad.hcl. Both are read with package jobspec, the lab's
// stand-in for Nomad's parser, and each group's service becomes a Consul
// registration (Registration); e2e's TestLabRegistersAsNomadDoes compares that
// with what Nomad registers for the same jobs. The sidecar is the job's own
// envoy_raw_exec task, run with the bootstrap `consul connect envoy` writes,
// as Nomad runs it. Only the addresses differ: Nomad gives each allocation a
// network namespace where the service listens on the job's port; here every
// process shares the host's loopback, so each gets free ports standing in for
// the namespace's (a Placement).
//
// Each instance reaches MySQL through a forwarder of its own
// (dbforward.Forwarder), which a test can cut to make that instance's
// /health fail.
package meshlab
