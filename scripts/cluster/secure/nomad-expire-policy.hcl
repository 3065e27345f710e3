# Nomad ACL policy of the versions' expiry (jobs/svctl-expire.nomad.hcl): it
# stops expired versions in every namespace, whoever ran them.
namespace "*" {
  capabilities = ["list-jobs", "read-job", "submit-job"]
}
node {
  policy = "read"
}
agent {
  policy = "read"
}
