# Nomad client agent of one node of the scripts/cluster-up cluster (rendered
# into STATE_DIR/<node>/nomad.hcl). Runs inside the node's network namespace
# (mwc-<node>), whose only outside link is the veth @IFACE@ on the bridge.
name                 = "@NAME@"
datacenter           = "dc1"
data_dir             = "@DATA@"
bind_addr            = "@IP@"
disable_update_check = true
log_level            = "INFO"

addresses {
  http = "127.0.0.1 @IP@"
}

advertise {
  http = "@IP@"
  rpc  = "@IP@"
  serf = "@IP@"
}

client {
  enabled = true
  servers = ["@SERVER_IP@:4647"]

  # Short: task API sockets (<alloc_dir>/<alloc id>/<task>/secrets/api.sock)
  # must stay under 108 characters.
  alloc_dir = "@ALLOC_DIR@"

  # Ports (sidecars' included) are published on the node's veth address, so
  # that the other node reaches them across the bridge.
  network_interface = "@IFACE@"
  cni_path          = "/usr/lib/cni"

  # Both nodes share this machine's cores, and Nomad would give each the
  # whole machine's MHz: too little for a team's versions (each is 100 MHz
  # for the service and 250 for its sidecar, so 20 developers' versions and
  # 5 shared instances ask for 8,750), which then wait, unplaced. Each node
  # says it has 20,000 MHz: the scheduler places what a team runs, and the
  # kernel shares the cores as it would anyway.
  cpu_total_compute = 20000

  # Both clients share the machine's cgroups: each keeps its tasks (and its
  # cpuset partitions) under a parent of its own.
  cgroup_parent = "@CGROUP_PARENT@"

  # Pin a job to this node with
  #   constraint { attribute = "${meta.node}"  value = "@NAME@" }
  # (or attribute = "${node.unique.name}").
  meta {
    node    = "@NAME@"
    cluster = "mwc"
  }

  # Jobs written for the single-node demo (jobs/lobsters.nomad.hcl) publish
  # sidecar ports on host_network "mesh": here that is the node's veth address.
  host_network "mesh" {
    cidr = "@IP@/32"
  }

  # No Docker engine here: without this the docker driver logs errors at
  # every start.
  options {
    "driver.denylist" = "docker"
  }

  # go-getter (a sandboxed process with an environment of its own) gets the
  # node's read-only key of the artifact store, and nothing else of the
  # agent's environment.
  artifact {
    set_environment_variables = "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_METADATA_URL"
  }

  # The exec driver's chroot. Nomad's default copies /bin /etc /lib /lib64
  # /sbin /usr into every task directory (23 s for the first task here).
  @CHROOT_ENV@
}

plugin "raw_exec" {
  config {
    enabled = true
  }
}

# The Consul client agent in the same namespace.
consul {
  address      = "127.0.0.1:8500"
  grpc_address = "127.0.0.1:8502"
}
