# The monolith may call the popularity service; nothing else may.
Kind = "service-intentions"
Name = "lobsters-popularity"
Sources = [
  {
    Name   = "lobsters"
    Action = "allow"
  },
]
