# resilient: outlier detection in the monolith's sidecar: an answer that is a
# 5xx (a timed-out try is a 504) counts against the instance. Envoy ejects at
# most 10 % of a cluster's instances, and Consul 1.14 cannot raise that, so
# with four instances none is ever ejected; with ten or more, a failing one
# is, for 30 s (longer each time it happens again). The per-try timeout and
# the retries (service-defaults-lobsters-popularity.hcl, service-router.hcl)
# are what keep a slow instance harmless here.
Kind     = "service-defaults"
Name     = "lobsters"
Protocol = "http"
Meta = {
  profile = "resilient"
}
UpstreamConfig = {
  Overrides = [
    {
      Name = "lobsters-popularity"
      PassiveHealthCheck = {
        Interval                = "1s"
        MaxFailures             = 1
        EnforcingConsecutive5xx = 100
      }
    },
  ]
}
