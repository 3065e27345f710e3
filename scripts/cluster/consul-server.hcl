# Consul server agent of the scripts/cluster-up cluster (rendered into
# STATE_DIR/server/consul.hcl; @NAME@-style words are filled in by the script).
# Runs inside the network namespace mwc-server, on its veth address.
datacenter           = "dc1"
node_name            = "@NAME@"
data_dir             = "@DATA@"
bind_addr            = "@IP@"
advertise_addr       = "@IP@"
client_addr          = "127.0.0.1 @IP@"
server               = true
bootstrap_expect     = 1
disable_update_check = true
log_level            = "INFO"

# Faster leader election and failure detection than the production default.
performance {
  raft_multiplier = 1
}

ports {
  grpc = 8502
  # Consul 1.14 would otherwise hand `consul connect envoy` a TLS gRPC address
  # with an empty trusted CA, which Envoy >= 1.36 refuses (see README,
  # "Envoy and Consul 1.14"): plaintext gRPC only.
  grpc_tls = -1
}

connect {
  enabled = true
}

ui_config {
  enabled = true
}
