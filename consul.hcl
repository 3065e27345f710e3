# Consul dev agent for the demo: `consul agent -dev -config-file consul.hcl`
# (what `just up` runs). Loopback only; Connect on; UI at http://127.0.0.1:8500/ui.
bind_addr   = "127.0.0.1"
client_addr = "127.0.0.1"

# The HTTP API also on a unix socket: inside a bridge-mode namespace 127.0.0.1
# is the namespace's own loopback, and Consul's built-in proxy (sidecar =
# consul_proxy) needs the API from there. `just up` creates the directory.
addresses {
  http = "127.0.0.1 unix:///run/microwizard/consul_http.sock"
}

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
