# Consul dev agent for the demo: `consul agent -dev -config-file consul.hcl`
# (what `just up` runs). Loopback only; Connect on; UI at http://127.0.0.1:8500/ui.
bind_addr   = "127.0.0.1"
client_addr = "127.0.0.1"

ports {
  grpc = 8502
  # Consul 1.14's dev mode also opens a gRPC TLS port and `consul connect envoy`
  # then prefers it, handing Envoy an empty trusted CA. Envoy 1.36+ refuses that
  # bootstrap ("DataSource cannot be empty"), so the TLS port is switched off and
  # sidecars use plaintext gRPC on loopback. See README, "Envoy and Consul 1.14".
  grpc_tls = -1
}

connect {
  enabled = true
}

ui_config {
  enabled = true
}
