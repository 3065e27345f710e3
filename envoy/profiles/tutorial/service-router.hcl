# tutorial: a route timeout long enough for the slow version to finish
# (Envoy's default is 15 s): slow pages, never failed ones. A request is
# retried, up to twice, when it could not be served (the connection failed,
# was refused or reset, or a 502/503/504 came back: an instance just gone, or
# one whose database is down). A slow answer is never retried, so the slow
# version keeps its share, as in the original. When every try fails, the last
# answer reaches the page (with the database down: "data unavailable").
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
