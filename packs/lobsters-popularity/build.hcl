# svctl's own file (nomad-pack ignores it): everything svctl knows of this
# service. Expressions read the run's values (the defaults under --var) as
# var.NAME.

# What svctl builds from a source snapshot before it renders the pack:
# `go build -o <run dir>/bin/<pack name> <package>` inside the snapshot; the
# binary's path is the `binary` variable (or, published, `artifact_url`).
build {
  package = "./popularity/cmd/lobsters-popularity"
  # A published run under docker also publishes the source snapshot (the
  # task's working directory): `source_artifact_url`.
  publish_source = var.driver == "docker"
}

# Where the job may be placed: svctl picks the nodes from it, and so whether
# the run is local (every such node is this machine) or goes to a cluster.
placement {
  driver      = var.driver
  datacenters = var.datacenters
  node        = var.node
}

# On a cluster: nothing of one host's filesystem or networks, and the demo's
# database through the mesh. Set over the defaults; --var still wins.
cluster {
  # Isolated: a chroot of what Nomad downloaded, not root on the node with
  # its filesystem (svctl keeps raw_exec where a node lacks exec, and says so).
  driver           = "exec"
  host_network     = ""
  mysql_socket_dir = ""
  mysql_upstream   = "mysql"
  # The DSN (tcp(127.0.0.1:mysql_upstream_port), the upstream) is the
  # cluster's secret, in its Nomad Variable (dsn_variable): not set here.
}

# The Consul Connect sidecar: svctl sets `sidecar` to the one every node
# that could run the job can run, unless --var sidecar is given.
sidecar {
  variable      = "sidecar"
  docker        = "envoy"
  raw_exec      = "envoy_raw_exec"
  envoy_binary  = "envoy_binary"
  consul_proxy  = "consul_proxy"
  consul_binary = "consul_binary"
}
