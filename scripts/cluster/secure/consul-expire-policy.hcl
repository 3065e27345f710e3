# Consul ACL policy of the versions' expiry (jobs/svctl-expire.nomad.hcl):
# it stops expired versions as svctl stop does, whoever ran them.
service "lobsters-popularity" {
  policy     = "write"
  intentions = "write"
}
service_prefix "" {
  policy = "read"
}
node_prefix "" {
  policy = "read"
}
mesh = "read"
key_prefix "svctl/" {
  policy = "write"
}
