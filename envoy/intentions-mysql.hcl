# The popularity service and the monolith may reach MySQL through the mesh:
# on a cluster that is their way to it (jobs/mysql.nomad.hcl with connect =
# true). On the dev agent they use MySQL's unix socket, the shortest path.
Kind = "service-intentions"
Name = "mysql"
Sources = [
  {
    Name   = "lobsters-popularity"
    Action = "allow"
  },
  {
    Name   = "lobsters"
    Action = "allow"
  },
]
