# Consul ACL policy of a developer's token (STATE_DIR/env): what svctl needs
# to run, list, route and stop versions of lobsters-popularity, and nothing
# of anyone else's services (README: A secured cluster).

# Register its instances (Nomad checks the submitter's token for every
# service of a job), write its config entries (service-defaults, resolver,
# router: the personal routes) and the intentions to it.
service "lobsters-popularity" {
  policy     = "write"
  intentions = "write"
}

# Read every service's health and intentions (svctl ps, svctl mesh's diff).
service_prefix "" {
  policy     = "read"
  intentions = "read"
}
node_prefix "" {
  policy = "read"
}

# The mesh's proxy-defaults, which svctl reads and never writes.
mesh = "read"

# svctl's records: expiries (svctl extend), forced runs. Nomad 1.6 also asks
# the submitter of any job with a template block (the DSN's, from a Nomad
# Variable) for read on every key: key_prefix "".
key_prefix "svctl/" {
  policy = "write"
}
key_prefix "" {
  policy = "read"
}
