app {
  url = "https://github.com/datawire/microwizard"
}

pack {
  name        = "lobsters-popularity"
  description = "One instance of the Lobsters popularity service as its own Nomad job, in a Consul Connect service mesh."
  version     = "0.1.0"
}
