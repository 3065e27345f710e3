# lobsters-popularity speaks HTTP: Envoy then routes each request on its own
# (not each TCP connection) and the profiles' HTTP features apply. tutorial:
# an instance's sidecar waits 30 s for its service, as long as the monolith's
# route allows (Envoy's default, 15 s, would cut the slow version's answers):
# a slow version is slow, never cut short.
Kind                  = "service-defaults"
Name                  = "lobsters-popularity"
Protocol              = "http"
LocalRequestTimeoutMs = 30000
Meta = {
  profile = "tutorial"
}
