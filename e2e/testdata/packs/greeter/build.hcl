# svctl's own file (nomad-pack ignores it): everything svctl knows of this
# service. Expressions read the run's values (the defaults under --var) as
# var.NAME.

# What svctl builds from a source snapshot before it renders the pack:
# `go build -o <run dir>/bin/greeter ./e2e/testdata/greeter` inside the
# snapshot; the binary's path is the `binary` variable (or, published,
# `artifact_url` and `artifact_checksum`).
build {
  package = "./e2e/testdata/greeter"
}

# Where the job may be placed: svctl reads it to choose the nodes (this machine, or a cluster).
placement {
  driver      = "raw_exec"
  datacenters = var.datacenters
}

# No cluster block: the greeter needs nothing set per target. No sidecar
# block: it is not in the Consul Connect mesh.
