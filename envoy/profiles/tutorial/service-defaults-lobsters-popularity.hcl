# lobsters-popularity speaks HTTP: Envoy then routes each request on its own
# (not each TCP connection) and the profiles' HTTP features apply. tutorial:
# an instance's sidecar waits for its service as long as the route allows, so
# a slow version is slow, never cut short.
Kind     = "service-defaults"
Name     = "lobsters-popularity"
Protocol = "http"
Meta = {
  profile = "tutorial"
}
