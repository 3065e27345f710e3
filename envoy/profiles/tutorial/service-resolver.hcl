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
# Fail closed: a request goes to the "shared" subset, the instances not run
# as private versions (svctl marks those in their own service meta). A
# private version's instances reach only requests that name it (svctl adds
# their routes), so no re-application of this file can put them in
# everyone's rotation.
DefaultSubset = "shared"
Subsets = {
  shared = {
    Filter = "Service.Meta.private != \"1\""
  }
}
