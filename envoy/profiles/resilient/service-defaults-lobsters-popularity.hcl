# resilient: the per-try timeout. Every instance's sidecar gives its service
# 600 ms to answer a request, then answers 504 in its place (and cancels the
# request, so the service can stop its work). The caller's sidecar retries
# that 504 on another instance (service-router.hcl) and counts it against the
# instance (service-defaults-lobsters.hcl), so a slow instance costs a request
# at most about that much.
#
# Consul 1.14's routes have no per-try timeout, and Envoy 1.40 no longer takes
# one from the caller's x-envoy-upstream-rq-per-try-timeout-ms header (it
# honours x-envoy-* request headers only from addresses its listener is told
# are internal, which Consul does not configure): the serving sidecar's own
# request timeout is the plain config entry that does the same.
Kind                  = "service-defaults"
Name                  = "lobsters-popularity"
Protocol              = "http"
LocalRequestTimeoutMs = 600
Meta = {
  profile = "resilient"
}
