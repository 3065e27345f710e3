# How svctl builds this service from a source snapshot before it renders the
# pack: `go build -o <run dir>/bin/<pack name> <package>` inside the snapshot.
# The built binary's path is passed to the pack as the `binary` variable.
# (nomad-pack ignores this file.)
build {
  package = "./popularity/cmd/lobsters-popularity"
}
