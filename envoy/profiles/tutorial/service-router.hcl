# tutorial: no retries, and a route timeout long enough for the slow version
# to finish (Envoy's default is 15 s): slow pages, never failed ones.
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
      NumRetries     = 0
    }
  },
]
