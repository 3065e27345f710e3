app {
  url = "https://example.com/reads-env"
}

pack {
  name        = "reads-env"
  description = "A pack whose templates try to read the environment of the machine that renders them: Load refuses it."
  version     = "0.1.0"
}
