# Consul ACL policy of Nomad's token (consul.token of every Nomad agent):
# Nomad registers the jobs' services and checks, derives a service identity
# token for each Connect sidecar (acl = "write": a server's job), and its
# templates read svctl's records (the monolith's list of private versions).
agent_prefix "" {
  policy = "read"
}
node_prefix "" {
  policy = "read"
}
service_prefix "" {
  policy = "write"
}
key_prefix "svctl/" {
  policy = "read"
}
acl = "write"
