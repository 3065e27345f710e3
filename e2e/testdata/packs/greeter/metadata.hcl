app {
  url = "https://github.com/datawire/microwizard"
}

pack {
  name        = "greeter"
  description = "One instance of the greeter, the e2e tests' second service, as its own Nomad job: host networking, no service mesh."
  version     = "0.1.0"
}
