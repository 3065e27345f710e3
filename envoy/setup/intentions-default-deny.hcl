# Deny by default: only the pairs allowed below may talk through the mesh.
Kind = "service-intentions"
Name = "*"
Sources = [
  {
    Name   = "*"
    Action = "deny"
  },
]
