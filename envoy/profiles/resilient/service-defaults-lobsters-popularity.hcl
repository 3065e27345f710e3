# resilient: the per-try timeout. Every instance's sidecar gives its service
# 200 ms to answer a request, then answers 504 in its place (and cancels the
# request, so the service can stop its work). The caller's sidecar retries
# that 504 (service-router.hcl), so a slow instance costs a request a short
# try, not its whole slowness.
#
# Consul 1.14's routes have no per-try timeout, and Envoy 1.40 no longer takes
# one from the caller's x-envoy-upstream-rq-per-try-timeout-ms header (it
# honours x-envoy-* request headers only from addresses its listener is told
# are internal, which Consul does not configure): the serving sidecar's own
# request timeout is the plain config entry that does the same.
#
# Why 200 ms: Consul 1.14 cannot tell Envoy to retry on another instance
# (retry_host_predicate) or to eject one of four instances (Envoy ejects at
# most 10 % of a cluster unless max_ejection_percent says otherwise, and
# Consul 1.14 does not set it), so a retry may land on the slow instance
# again, one time in four. With 200 ms tries, three in a row on it still end
# under a second, Envoy's back-off between retries (up to 25, 50, 100 ms)
# included (with 250 ms they did not: 1 load in 40 over a second, measured);
# four in a row happen to one load in 256.
Kind                  = "service-defaults"
Name                  = "lobsters-popularity"
Protocol              = "http"
LocalRequestTimeoutMs = 200
Meta = {
  profile = "resilient"
}
