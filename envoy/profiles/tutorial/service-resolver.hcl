# tutorial: the original demo's routing. Round robin over every healthy
# instance, like Baker Street's HAProxy, so one slow instance out of four makes
# about a quarter of /popular loads slow: the seed tutorial's lesson.
Kind = "service-resolver"
Name = "lobsters-popularity"
Meta = {
  profile = "tutorial"
}
# HAProxy's connect timeout in the original.
ConnectTimeout = "5s"
LoadBalancer = {
  Policy = "round_robin"
}
