[[- /*
  One instance of the greeter (e2e/testdata/greeter) as a job of its own, on
  the node's own network: no bridge, no Connect sidecar. The variables are in
  ../variables.hcl and described in ../README.md.
*/ -]]
[[- template "check_values" . -]]
[[- $name := meta "pack.name" . -]]
job [[ template "string_var" (list "job_name" .) ]] {
  datacenters = [[ template "string_list_var" (list "datacenters" .) ]]
  type        = "service"

  # svctl finds its runs by this meta (svctl ps, logs, stop).
  meta {
    [[- template "meta_attributes" (list "    " .) ]]
  }

  # Each run is a job of its own; the deployment is what svctl follows.
  update {
    max_parallel      = 1
    health_check      = "checks"
    min_healthy_time  = "1s"
    healthy_deadline  = "1m"
    progress_deadline = "2m"
    auto_revert       = false
  }

  group [[ template "hcl_string" $name ]] {
    count = 1
    # The instance leaves Consul, then its task is told to stop.
    shutdown_delay = "2s"

    # A dynamic port on the node's network interface.
    network {
      port "http" {}
    }

    # A killed or crashed instance is started again in place, after a second.
    restart {
      attempts = 10
      interval = "1m"
      delay    = "1s"
      mode     = "delay"
    }

    service {
      name     = [[ template "hcl_string" $name ]]
      provider = "consul"
      port     = "http"
      tags     = [ [[- template "string_var" (list "deploy_name" .) -]] ]

      meta {
        [[- template "meta_attributes" (list "        " .) ]]
      }

      check {
        name     = "health"
        type     = "http"
        path     = "/health"
        interval = "1s"
        timeout  = "1s"
      }
    }

    task [[ template "hcl_string" $name ]] {
      driver       = "raw_exec"
      kill_timeout = "5s"
[[- if var "artifact_url" . ]]

      # The binary, fetched by the node and checked.
      artifact {
        source      = [[ template "string_var" (list "artifact_url" .) ]]
        destination = "local/bin/greeter"
        mode        = "file"

        options {
          checksum = [[ template "string_var" (list "artifact_checksum" .) ]]
        }
      }
[[- end ]]

      config {
        command = [[ if var "artifact_url" . ]]"local/bin/greeter"[[ else ]][[ template "string_var" (list "binary" .) ]][[ end ]]
      }

      env {
        # Nomad's runtime interpolation ("$${...}" in HCL is a literal "${...}"):
        # the address of port http on the node.
        GREETER_ADDR     = "$${NOMAD_ADDR_http}"
        SERVICE_VERSION  = [[ template "string_var" (list "deploy_name" .) ]]
        GREETER_GREETING = [[ template "string_var" (list "greeting" .) ]]
      }

      resources {
        cpu    = [[ var "cpu" . ]]
        memory = [[ var "memory" . ]]
      }
    }
  }
}
