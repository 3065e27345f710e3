# Consul ACL policy of the agents' own token (acl.tokens.agent): each
# registers its node and reads the services it checks.
node_prefix "" {
  policy = "write"
}
service_prefix "" {
  policy = "read"
}
