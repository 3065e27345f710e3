# resilient: a request is retried, up to five times, when a try could not be
# served or was cut at the per-try timeout (a 504 from the instance's
# sidecar, see service-defaults-lobsters-popularity.hcl), so a slow instance
# costs a page a short try, not its whole slowness. Five retries: a retry
# lands on the slow instance one time in four, and all six tries on it (a
# failed load) happen to one load in 4096. The route's own timeout covers
# every try.
Kind = "service-router"
Name = "lobsters-popularity"
Meta = {
  profile = "resilient"
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
      NumRetries     = 5
      RetryOn        = ["connect-failure", "refused-stream", "reset", "gateway-error"]
    }
  },
]
