# Nomad dev agent for the demo: `nomad agent -dev -config nomad.hcl`
# (what `just up` runs). Server and client in one process, loopback only.
# The data dir is given on the command line (`-data-dir`): keep it short, task
# API socket paths over 108 characters fail to bind.

bind_addr = "127.0.0.1"

advertise {
  http = "127.0.0.1"
  rpc  = "127.0.0.1"
  serf = "127.0.0.1"
}

server {
  enabled          = true
  bootstrap_expect = 1
}

client {
  enabled = true
  # Without this Nomad picks the machine's outside interface.
  network_interface = "lo"
  # Debian's containernetworking-plugins.
  cni_path = "/usr/lib/cni"

  # Sidecar ports are published on Nomad's bridge so that a proxy in one
  # allocation's network namespace can reach a proxy in another (127.0.0.1 in
  # a namespace is the namespace's own loopback). `just up` creates the bridge
  # before the agent starts: placement fails with "missing host network" otherwise.
  host_network "mesh" {
    cidr = "172.26.64.1/32"
  }

  # An artifact store's s3:: sources are fetched by go-getter, a sandboxed
  # process with an environment of its own: it gets the agent's AWS keys
  # (a node's read key; no anonymous read) and nothing else. The dummy
  # AWS_METADATA_URL makes its SDK keep the URL's host and plain HTTP.
  artifact {
    set_environment_variables = "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_METADATA_URL"
  }
}

plugin "raw_exec" {
  config {
    enabled = true
  }
}

# Where a Docker engine runs, the pack's docker variant (driver = "docker")
# bind-mounts the service's copy and binary into its container.
plugin "docker" {
  config {
    volumes {
      enabled = true
    }
  }
}

consul {
  address      = "127.0.0.1:8500"
  grpc_address = "127.0.0.1:8502"
}
