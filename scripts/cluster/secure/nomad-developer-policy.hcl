# Nomad ACL policy of a developer's token (STATE_DIR/env): what svctl needs
# in the namespace it runs in (README: A secured cluster).
namespace "default" {
  # run and stop (submit-job), ps and the deployment it follows (read-job,
  # list-jobs), render's check (parse-job), logs -f (read-logs, and read-fs
  # to list an instance's log files: Nomad never serves a task's secrets/).
  # No variables: the jobs read the DSN's Variable with their own
  # identity; a developer neither reads nor lists it.
  capabilities = ["list-jobs", "parse-job", "read-fs", "read-job", "read-logs", "submit-job"]
}

# Where a run can go: the nodes, their drivers and platform.
node {
  policy = "read"
}

# That the agent answers (svctl asks it who it is).
agent {
  policy = "read"
}
