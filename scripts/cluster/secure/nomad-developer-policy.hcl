# Nomad ACL policy of a developer's token (STATE_DIR/env): what svctl needs
# in the namespace it runs in (README: A secured cluster).
namespace "default" {
  # run and stop (submit-job), ps and the deployment it follows (read-job,
  # list-jobs), render's check (parse-job), logs -f (read-logs).
  capabilities = ["list-jobs", "parse-job", "read-job", "submit-job", "read-logs"]

  # That the DSN's Variable exists: listed, never read (only the jobs read it).
  variables {
    path "nomad/jobs" {
      capabilities = ["list"]
    }
  }
}

# Where a run can go: the nodes, their drivers and platform.
node {
  policy = "read"
}

# That the agent answers (svctl asks it who it is).
agent {
  policy = "read"
}
