# lobsters-popularity speaks HTTP: Envoy then routes each request on its own
# (not each TCP connection) and the profiles' HTTP features apply.
Kind     = "service-defaults"
Name     = "lobsters-popularity"
Protocol = "http"
