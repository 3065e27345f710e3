# Consul client agent of one Nomad client node of the scripts/cluster-up
# cluster (rendered into STATE_DIR/<node>/consul.hcl). Runs inside the node's
# network namespace; Nomad talks to it on 127.0.0.1, the other agents on @IP@.
datacenter           = "dc1"
node_name            = "@NAME@"
data_dir             = "@DATA@"
bind_addr            = "@IP@"
advertise_addr       = "@IP@"
client_addr          = "127.0.0.1 @IP@"
retry_join           = ["@SERVER_IP@"]
retry_interval       = "1s"
disable_update_check = true
log_level            = "INFO"

# Stopping the agent (cluster-down) does not wait ~5 s for a graceful leave;
# `consul leave` still leaves gracefully.
leave_on_terminate = false

# The HTTP API also on a unix socket, for tasks in a bridge-mode namespace
# (whose 127.0.0.1 is their own): e.g. Consul's built-in proxy with
# -http-addr unix://@STATE@/@NAME@/consul_http.sock.
addresses {
  http = "127.0.0.1 @IP@ unix://@STATE@/@NAME@/consul_http.sock"
}

ports {
  # Envoy sidecars get their xDS config from this agent's plaintext gRPC port
  # (through Nomad's per-allocation socket); no TLS port, as on the server.
  grpc     = 8502
  grpc_tls = -1
}

performance {
  raft_multiplier = 1
}
