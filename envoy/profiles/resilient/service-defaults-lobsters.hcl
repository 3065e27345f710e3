# resilient: what Envoy can do that the original's HAProxy did not.
#
#   - least request: of two instances picked at random, the one with fewer
#     requests in flight gets the next one, so a slow instance, whose requests
#     pile up, is picked less;
#   - a per-try timeout with retries on another instance: a try that has not
#     answered in 600 ms is abandoned and retried elsewhere, so a slow instance
#     costs a request at most that much;
#   - outlier detection: two failed or timed-out tries in a row eject an
#     instance for 10 s (longer each time it happens again); it gets traffic
#     back once the ejection ends and it answers in time.
#
# Consul 1.14's config entries have no per-try timeout, so this profile uses
# the upstream escape hatches for the monolith's lobsters-popularity upstream:
# a listener with the route, and a cluster with the balancing and outlier
# detection (Consul adds the mTLS settings to it). Escape hatches apply only
# while lobsters-popularity has no service-resolver or service-router, which is
# why this profile defines none and `svctl mesh` deletes the tutorial's.
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

      # The upstream listener the monolith's POPULARITY_URL points at
      # (jobs/lobsters.nomad.hcl: local_bind_port = 8000).
      EnvoyListenerJSON = jsonencode({
        "@type"           = "type.googleapis.com/envoy.config.listener.v3.Listener"
        name              = "lobsters-popularity:127.0.0.1:8000"
        traffic_direction = "OUTBOUND"
        address = {
          socket_address = { address = "127.0.0.1", port_value = 8000 }
        }
        filter_chains = [{
          filters = [{
            name = "envoy.filters.network.http_connection_manager"
            typed_config = {
              "@type"     = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
              stat_prefix = "upstream.lobsters-popularity"
              route_config = {
                name = "lobsters-popularity"
                virtual_hosts = [{
                  name    = "lobsters-popularity"
                  domains = ["*"]
                  routes = [{
                    match = { prefix = "/" }
                    route = {
                      cluster = "lobsters-popularity.default.dc1.internal.${trust_domain}"
                      timeout = "30s"
                      retry_policy = {
                        retry_on        = "5xx,reset,connect-failure,refused-stream"
                        num_retries     = 2
                        per_try_timeout = "0.6s"
                        retry_host_predicate = [{
                          name         = "envoy.retry_host_predicates.previous_hosts"
                          typed_config = { "@type" = "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate" }
                        }]
                        host_selection_retry_max_attempts = 5
                      }
                    }
                  }]
                }]
              }
              http_filters = [{
                name         = "envoy.filters.http.router"
                typed_config = { "@type" = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" }
              }]
            }
          }]
        }]
      })

      EnvoyClusterJSON = jsonencode({
        "@type"         = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
        name            = "lobsters-popularity.default.dc1.internal.${trust_domain}"
        type            = "EDS"
        connect_timeout = "1s"
        eds_cluster_config = {
          eds_config = { ads = {}, resource_api_version = "V3" }
        }
        lb_policy               = "LEAST_REQUEST"
        least_request_lb_config = { choice_count = 2 }
        outlier_detection = {
          consecutive_5xx                       = 2
          consecutive_gateway_failure           = 2
          enforcing_consecutive_5xx             = 100
          enforcing_consecutive_gateway_failure = 100
          interval                              = "1s"
          base_ejection_time                    = "10s"
          max_ejection_percent                  = 50
        }
      })
    },
  ]
}
