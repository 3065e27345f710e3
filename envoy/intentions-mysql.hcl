# The popularity service may reach MySQL through the mesh. (The demo's services
# use MySQL's unix socket, the shortest path; this keeps the mesh route allowed
# for a MySQL run as a Connect service.)
Kind = "service-intentions"
Name = "mysql"
Sources = [
  {
    Name   = "lobsters-popularity"
    Action = "allow"
  },
]
