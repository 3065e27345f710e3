# Nomad server agent of the scripts/cluster-up cluster (rendered into
# STATE_DIR/server/nomad.hcl). Runs inside the network namespace mwc-server.
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

server {
  enabled          = true
  bootstrap_expect = 1
}

# The Consul server agent in the same namespace.
consul {
  address = "127.0.0.1:8500"
}
