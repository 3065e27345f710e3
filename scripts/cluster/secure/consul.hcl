# Overlay of every Consul agent of `scripts/cluster-up --secure` (read after
# consul-server.hcl or consul-client.hcl): ACLs that deny by default, and TLS
# on the HTTP API, gRPC and the agents' RPC. The certificates come from
# `consul tls ca create` / `consul tls cert create` (STATE_DIR/tls/consul).

# Gossip between the agents is encrypted too (consul keygen).
encrypt = "@GOSSIP_KEY@"

ports {
  http     = -1
  https    = 8501
  grpc     = -1
  # Envoy's xDS over TLS: Nomad 1.6 points the sidecar's bootstrap at it
  # (consul.grpc_address) with the CA of consul.ca_file.
  grpc_tls = 8503
}

addresses {
  https = "127.0.0.1 @IP@"
}

acl {
  enabled                  = true
  default_policy           = "deny"
  enable_token_persistence = true
  tokens {
    @INITIAL_MANAGEMENT@
    # node_prefix "" write, service_prefix "" read: the agent registers its
    # node and reads what it checks (scripts/cluster-up creates it).
    agent = "@CONSUL_AGENT_TOKEN@"
  }
}

tls {
  defaults {
    ca_file         = "@TLS@/consul/consul-agent-ca.pem"
    cert_file       = "@TLS@/consul/@NAME@.pem"
    key_file        = "@TLS@/consul/@NAME@-key.pem"
    verify_incoming = true
    verify_outgoing = true
  }
  internal_rpc {
    verify_server_hostname = true
  }
  # The HTTP API authenticates by token: a developer needs the CA, not a
  # certificate of their own.
  https {
    verify_incoming = false
  }
  # Envoy's bootstrap carries no client certificate.
  grpc {
    verify_incoming = false
  }
}
