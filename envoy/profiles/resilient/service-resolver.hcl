# resilient: least request. Of four instances picked at random, the one with
# fewer requests in flight gets the next one, so a slow instance, whose
# requests pile up, is picked less: under load, seldom.
Kind = "service-resolver"
Name = "lobsters-popularity"
Meta = {
  profile = "resilient"
}
ConnectTimeout = "1s"
LoadBalancer = {
  Policy = "least_request"
  LeastRequestConfig = {
    ChoiceCount = 4
  }
}
