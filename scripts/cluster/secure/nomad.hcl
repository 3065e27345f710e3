# Overlay of every Nomad agent of `scripts/cluster-up --secure` (read after
# nomad-server.hcl or nomad-client.hcl): ACLs, TLS on the HTTP API and RPC
# (certificates from `nomad tls ca create` / `nomad tls cert create`, in
# STATE_DIR/tls/nomad), and Consul over TLS with a token of Nomad's own.

acl {
  enabled = true
}

tls {
  http                   = true
  rpc                    = true
  ca_file                = "@TLS@/nomad/nomad-agent-ca.pem"
  cert_file              = "@TLS@/nomad/@NAME@.pem"
  key_file               = "@TLS@/nomad/@NAME@-key.pem"
  verify_server_hostname = true
  # The HTTP API authenticates by token: a developer needs the CA, not a
  # certificate of their own.
  verify_https_client = false
}

consul {
  address      = "127.0.0.1:8501"
  ssl          = true
  verify_ssl   = true
  ca_file      = "@TLS@/consul/consul-agent-ca.pem"
  grpc_address = "127.0.0.1:8503"
  # Nomad's own Consul token (agent, node and service rights, and acl write
  # for the sidecars' service identity tokens); see scripts/cluster-up.
  token = "@NOMAD_CONSUL_TOKEN@"
  # A job's submitter must bring a Consul token allowed to register the
  # job's services: nobody registers another team's service by naming it.
  allow_unauthenticated = false
}
