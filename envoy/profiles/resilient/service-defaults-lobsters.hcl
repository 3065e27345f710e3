# resilient: outlier detection in the monolith's sidecar. Two answers in a row
# that are 5xx (a timed-out try is a 504) eject an instance for 30 s (longer
# each time it happens again); it gets traffic back once the ejection ends and
# it answers in time. Envoy never ejects more than one instance of four at
# once, so the others always keep serving.
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
        MaxFailures             = 2
        EnforcingConsecutive5xx = 100
      }
    },
  ]
}
