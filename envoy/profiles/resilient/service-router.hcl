# resilient: a request is retried, up to twice, when a try could not be served
# or was cut at the per-try timeout (a 504 from the instance's sidecar, see
# service-defaults-lobsters-popularity.hcl), so a slow instance costs a page
# one short try, not its whole slowness. The route's own timeout covers every
# try.
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
      NumRetries     = 2
      RetryOn        = ["connect-failure", "refused-stream", "reset", "gateway-error"]
    }
  },
]
