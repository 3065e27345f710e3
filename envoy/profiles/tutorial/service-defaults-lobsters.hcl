# tutorial: the monolith's view of its upstream. Passive health checks are on
# for failures Consul's checks have not caught yet, but never eject an instance
# for answering: a slow instance keeps its share, as in the original.
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
