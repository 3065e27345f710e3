[[- /*
  One instance of the lobsters-popularity service, as a job of its own, in a
  Consul Connect service mesh. The variables are in ../variables.hcl and
  described in ../README.md.
*/ -]]
[[- template "check_values" . -]]
[[- $name := meta "pack.name" . -]]
[[- $driver := var "driver" . -]]
[[- $sidecar := var "sidecar" . -]]
[[- /* Consul's built-in proxy cannot serve Nomad's expose paths, so with it the check reaches the service directly and the service listens on the namespace's address. */ -]]
[[- $listen := ternary "0.0.0.0" "127.0.0.1" (eq $sidecar "consul_proxy") -]]
job [[ template "string_var" (list "job_name" .) ]] {
  region      = [[ template "string_var" (list "region" .) ]]
  datacenters = [[ template "string_list_var" (list "datacenters" .) ]]
  type        = "service"
[[- if var "node" . ]]

  # Pinned to one node.
  constraint {
    attribute = "$${node.unique.name}"
    value     = [[ template "string_var" (list "node" .) ]]
  }
[[- end ]]

  meta {
    [[- template "meta_attributes" (list "    " .) ]]
  }

  # Each run is a job of its own, so an update only happens when the same
  # job is submitted again; the deployment is what svctl follows.
  update {
    max_parallel      = 1
    health_check      = "checks"
    min_healthy_time  = "1s"
    healthy_deadline  = "1m"
    progress_deadline = "2m"
    auto_revert       = false
  }

  group [[ template "hcl_string" $name ]] {
    count          = 1
    shutdown_delay = [[ template "string_var" (list "shutdown_delay" .) ]]

    network {
      mode = "bridge"

      port "http" {
[[- if var "host_network" . ]]
        to           = [[ var "app_port" . ]]
        host_network = [[ template "string_var" (list "host_network" .) ]]
[[- else ]]
        to = [[ var "app_port" . ]]
[[- end ]]
      }

      # The sidecar's public port, the same number inside the namespace as
      # on the host.
      port "connect_proxy" {
[[- if var "host_network" . ]]
        to           = -1
        host_network = [[ template "string_var" (list "host_network" .) ]]
[[- else ]]
        to = -1
[[- end ]]
      }
    }

    # A killed or crashed instance is started again in place, after a second.
    restart {
      attempts = 10
      interval = "1m"
      delay    = "1s"
      mode     = "delay"
    }

    # An instance whose node is lost is placed elsewhere, soon.
    reschedule {
      delay          = "5s"
      delay_function = "constant"
      unlimited      = true
    }

    service {
      name = [[ template "hcl_string" $name ]]
      # The port the service listens on inside the namespace, as a number:
      # Nomad 1.6 resolves an exposed check's port from it at submit time,
      # before a dynamic port label has a value.
      port = [[ template "hcl_string" (printf "%v" (var "app_port" .)) ]]
      tags = [ [[- template "string_var" (list "deploy_name" .) -]] ]

      meta {
        [[- template "meta_attributes" (list "        " .) ]]
      }

      check {
        name     = "health"
        type     = "http"
        path     = "/health"
        interval = [[ template "string_var" (list "check_interval" .) ]]
        timeout  = [[ template "string_var" (list "check_timeout" .) ]]
[[- if eq $sidecar "consul_proxy" ]]

        # Consul's agent calls the service at the allocation's address.
        address_mode = "alloc"
[[- else ]]

        # Envoy serves /health on a port of its own for Consul's agent.
        expose = true
[[- end ]]
      }

      connect {
        sidecar_service {
          port                      = "connect_proxy"
          disable_default_tcp_check = true

          proxy {
            local_service_address = "127.0.0.1"
            local_service_port    = [[ var "app_port" . ]]
            # How long this sidecar waits for the service (its
            # local_request_timeout_ms) is the mesh profile's: envoy/profiles,
            # service-defaults of the service. A value here would override it.
[[- if var "mysql_upstream" . ]]

            # MySQL through the mesh: the way a cluster allows.
            upstreams {
              destination_name = [[ template "string_var" (list "mysql_upstream" .) ]]
              local_bind_port  = [[ var "mysql_upstream_port" . ]]
            }
[[- end ]]
          }
        }

        sidecar_task {
[[- if eq $sidecar "envoy" ]]
          shutdown_delay = [[ template "string_var" (list "shutdown_delay" .) ]]
[[- else if eq $sidecar "envoy_raw_exec" ]]
          driver         = "raw_exec"
          shutdown_delay = [[ template "string_var" (list "shutdown_delay" .) ]]

          # Envoy, run the way Nomad's default sidecar task runs it, from the
          # allocation directory: Nomad's bootstrap names the Consul gRPC socket
          # by a path relative to it (alloc/tmp/consul_grpc.sock), which the
          # docker driver's working directory has and raw_exec's has not.
          # Connections opened under a listener's old config are closed within
          # a second of a change (Envoy's default drains them for 10 minutes),
          # so a switch of mesh profile takes effect at once.
          config {
            command = "/bin/sh"
            args    = [
              "-c", "cd \"$NOMAD_ALLOC_DIR/..\" && exec \"$0\" -c \"$NOMAD_SECRETS_DIR/envoy_bootstrap.json\" -l \"$1\" --concurrency \"$2\" --disable-hot-restart --drain-time-s 1 --drain-strategy immediate",
              [[ template "string_var" (list "envoy_binary" .) ]],
              "$${meta.connect.log_level}",
              "$${meta.connect.proxy_concurrency}",
            ]
          }
[[- else ]]
          driver         = "raw_exec"
          shutdown_delay = [[ template "string_var" (list "shutdown_delay" .) ]]

          # Consul's built-in proxy in flag mode: it takes the service's
          # identity and forwards mTLS connections to the service.
          config {
            command = [[ template "string_var" (list "consul_binary" .) ]]
            args    = [
              "connect", "proxy",
[[- if var "consul_http_addr" . ]]
              "-http-addr", [[ template "string_var" (list "consul_http_addr" .) ]],
[[- end ]]
              "-service", [[ template "hcl_string" $name ]],
              "-service-addr", [[ template "hcl_string" (printf "127.0.0.1:%v" (var "app_port" .)) ]],
              "-listen", "0.0.0.0:$${NOMAD_PORT_connect_proxy}",
            ]
          }
[[- end ]]
        }
      }
    }

    task [[ template "hcl_string" $name ]] {
      driver       = [[ template "hcl_string" $driver ]]
      kill_timeout = [[ template "string_var" (list "kill_timeout" .) ]]
[[- if var "artifact_url" . ]]

      # The binary, fetched by the node from the artifact store with its own
      # credentials (artifact_url: go-getter's s3:: form) and checked.
      artifact {
        source      = [[ template "string_var" (list "artifact_url" .) ]]
        destination = "local/bin/lobsters-popularity"
        mode        = "file"

        options {
          checksum = [[ template "string_var" (list "artifact_checksum" .) ]]
        }
      }
[[- end ]]
[[- if and (eq $driver "docker") (var "source_artifact_url" .) ]]

      # The source files the build reads, a .tar.gz fetched by the node with
      # its own credentials and unpacked into local/source.
      artifact {
        source      = [[ template "string_var" (list "source_artifact_url" .) ]]
        destination = "local/source"

        options {
          checksum = [[ template "string_var" (list "source_artifact_checksum" .) ]]
        }
      }
[[- end ]]

      config {
[[- if ne $driver "docker" ]]
        command = [[ if var "artifact_url" . ]]"local/bin/lobsters-popularity"[[ else ]][[ template "string_var" (list "binary" .) ]][[ end ]]
[[- else if var "artifact_url" . ]]
        image    = [[ template "string_var" (list "docker_image" .) ]]
        command  = "/local/bin/lobsters-popularity"
        work_dir = "/local/source"
[[- else ]]
        image    = [[ template "string_var" (list "docker_image" .) ]]
        command  = "/srv/bin/lobsters-popularity"
        work_dir = "/srv/source"

        mount {
          type     = "bind"
          source   = [[ template "string_var" (list "binary" .) ]]
          target   = "/srv/bin/lobsters-popularity"
          readonly = true
        }

        mount {
          type     = "bind"
          source   = [[ template "string_var" (list "source_dir" .) ]]
          target   = "/srv/source"
          readonly = true
        }
[[- end ]]
[[- if and (eq $driver "docker") (var "mysql_socket_dir" .) ]]

        mount {
          type   = "bind"
          source = [[ template "string_var" (list "mysql_socket_dir" .) ]]
          target = [[ template "string_var" (list "mysql_socket_dir" .) ]]
        }
[[- end ]]
      }

[[- if not (var "dsn" .) ]]

      # The database's DSN, a secret: the node reads it from the Nomad
      # Variable with the task's own identity into the task's secrets
      # directory. The job names where it is, never what it is.
      template {
        destination = "secrets/lobsters_dsn"
        change_mode = "restart"
        data        = "{{ with nomadVar \"[[ var "dsn_variable" . ]]\" }}{{ .[[ var "dsn_variable_item" . ]] }}{{ end }}"
      }
[[- end ]]

      env {
        SERVICE_VERSION = [[ template "string_var" (list "deploy_name" .) ]]
        POPULARITY_ADDR = [[ template "hcl_string" (printf "%s:%v" $listen (var "app_port" .)) ]]
[[- if var "dsn" . ]]
        LOBSTERS_DSN    = [[ template "string_var" (list "dsn" .) ]]
[[- else ]]
        LOBSTERS_DSN_FILE = "$${NOMAD_SECRETS_DIR}/lobsters_dsn"
[[- end ]]

        POPULARITY_LOG_LEVEL = [[ template "string_var" (list "log_level" .) ]]
        POPULARITY_DB_WAIT   = [[ template "string_var" (list "db_wait" .) ]]
      }

      resources {
        cpu    = [[ var "cpu" . ]]
        memory = [[ var "memory" . ]]
      }
    }
  }
}
