# tutorial: the monolith's view of its upstream. An instance that fails
# outright (two 5xx answers in a row: its process died, or its proxy cannot
# reach it) is ejected at once, for 30 s, before Consul's check notices; the
# original's Baker Street likewise dropped an instance whose heartbeat stopped.
# A slow instance answers 200 and is never ejected: it keeps its share, which
# is the tutorial's lesson.
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
        Interval                = "1s"
        MaxFailures             = 2
        EnforcingConsecutive5xx = 100
      }
    },
  ]
}
