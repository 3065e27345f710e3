# tutorial: the monolith's view of its upstream. No instance is ejected for
# its answers: a slow instance keeps its share, which is the tutorial's
# lesson, and an instance whose database is down keeps answering that the
# data is unavailable. Consul's health checks alone take instances out.
Kind     = "service-defaults"
Name     = "lobsters"
Protocol = "http"
Meta = {
  profile = "tutorial"
}
UpstreamConfig = {
  Overrides = [
    {
      Name = "lobsters-popularity"
      PassiveHealthCheck = {
        Interval                = "10s"
        MaxFailures             = 5
        EnforcingConsecutive5xx = 0
      }
    },
  ]
}
