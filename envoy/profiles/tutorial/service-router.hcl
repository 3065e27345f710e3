# tutorial: a route timeout long enough for the slow version to finish
# (Envoy's default is 15 s): slow pages, never failed ones. A request is
# retried on another instance only when it could not be served at all (the
# instance was gone or refused it); a slow answer is never retried, so the
# slow version keeps its share, as in the original.
Kind = "service-router"
Name = "lobsters-popularity"
Meta = {
  profile = "tutorial"
}
Routes = [
  {
    Match = {
      HTTP = {
        PathPrefix = "/"
      }
    }
    Destination = {
      RequestTimeout = "30s"
      NumRetries     = 2
      RetryOn        = ["connect-failure", "refused-stream", "reset", "gateway-error"]
    }
  },
]
