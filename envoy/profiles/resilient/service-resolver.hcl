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
