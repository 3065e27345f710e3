job "lobsters-popularity-lobpop_v1-1a2b3c" {
  region      = "global"
  datacenters = ["*"]
  type        = "service"

  # Pinned to one node.
  constraint {
    attribute = "$${node.unique.name}"
    value     = "n2"
  }

  meta {
    commit      = "4e1f0c9b2a7d3e5f6a8b9c0d1e2f3a4b5c6d7e8f"
    deploy_name = "lobpop_v1"
    service     = "lobsters-popularity"
    source      = "UNCOMMITTED_COPY"
    source_dir  = ""
    svctl       = "1"
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

  group "lobsters-popularity" {
    count          = 1
    shutdown_delay = "3s"

    network {
      mode = "bridge"

      port "http" {
        to = 5000
      }

      # The sidecar's public port, the same number inside the namespace as
      # on the host.
      port "connect_proxy" {
        to = -1
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
      name = "lobsters-popularity"
      # The port the service listens on inside the namespace, as a number:
      # Nomad 1.6 resolves an exposed check's port from it at submit time,
      # before a dynamic port label has a value.
      port = "5000"
      tags = ["lobpop_v1"]

      meta {
        commit      = "4e1f0c9b2a7d3e5f6a8b9c0d1e2f3a4b5c6d7e8f"
        deploy_name = "lobpop_v1"
        service     = "lobsters-popularity"
        source      = "UNCOMMITTED_COPY"
        source_dir  = ""
        svctl       = "1"
      }

      check {
        name     = "health"
        type     = "http"
        path     = "/health"
        interval = "1s"
        timeout  = "1s"

        # Envoy serves /health on a port of its own for Consul's agent.
        expose = true
      }

      connect {
        sidecar_service {
          port                      = "connect_proxy"
          disable_default_tcp_check = true

          proxy {
            local_service_address = "127.0.0.1"
            local_service_port    = 5000
            # How long this sidecar waits for the service (its
            # local_request_timeout_ms) is the mesh profile's: envoy/profiles,
            # service-defaults of the service. A value here would override it.

            # MySQL through the mesh: the way a cluster allows.
            upstreams {
              destination_name = "mysql"
              local_bind_port  = 3306
            }
          }
        }

        sidecar_task {
          driver         = "raw_exec"
          shutdown_delay = "3s"

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
              "envoy",
              "$${meta.connect.log_level}",
              "$${meta.connect.proxy_concurrency}",
            ]
          }
        }
      }
    }

    task "lobsters-popularity" {
      driver       = "exec"
      kill_timeout = "5s"

      # The binary, fetched by the node from the artifact store with its own
      # credentials (artifact_url: go-getter's s3:: form) and checked.
      artifact {
        source      = "s3::http://10.77.0.2:8333/svctl/runs/sha256/4e1f0c9b/lobsters-popularity"
        destination = "local/bin/lobsters-popularity"
        mode        = "file"

        options {
          checksum = "sha256:4e1f0c9b2a7d3e5f6a8b9c0d1e2f3a4b5c6d7e8f4e1f0c9b2a7d3e5f6a8b9c0d"
        }
      }

      config {
        command = "local/bin/lobsters-popularity"
      }

      env {
        SERVICE_VERSION = "lobpop_v1"
        POPULARITY_ADDR = "127.0.0.1:5000"
        LOBSTERS_DSN    = "lobsters:lobsters@tcp(127.0.0.1:3306)/lobsters?parseTime=true"

        POPULARITY_LOG_LEVEL = "info"
        POPULARITY_DB_WAIT   = "500ms"
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
