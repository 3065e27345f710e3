job "lobsters-popularity-lobpop_v1-1a2b3c" {
  region      = "global"
  datacenters = ["*"]
  type        = "service"

  meta {
    commit      = "4e1f0c9b2a7d3e5f6a8b9c0d1e2f3a4b5c6d7e8f"
    deploy_name = "lobpop_v1"
    service     = "lobsters-popularity"
    source      = "UNCOMMITTED_COPY"
    source_dir  = "/var/lib/svctl/runs/lobpop_v1-1a2b3c/src"
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
        to           = 5000
        host_network = "mesh"
      }

      # The sidecar's public port, the same number inside the namespace as
      # on the host.
      port "connect_proxy" {
        to           = -1
        host_network = "mesh"
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
        source_dir  = "/var/lib/svctl/runs/lobpop_v1-1a2b3c/src"
        svctl       = "1"
      }

      check {
        name     = "health"
        type     = "http"
        path     = "/health"
        interval = "1s"
        timeout  = "1s"

        # Consul's agent calls the service at the allocation's address.
        address_mode = "alloc"
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
          }
        }

        sidecar_task {
          driver         = "raw_exec"
          shutdown_delay = "3s"

          # Consul's built-in proxy in flag mode: it takes the service's
          # identity and forwards mTLS connections to the service.
          config {
            command = "consul"
            args    = [
              "connect", "proxy",
              "-http-addr", "unix:///run/microwizard/consul_http.sock",
              "-service", "lobsters-popularity",
              "-service-addr", "127.0.0.1:5000",
              "-listen", "0.0.0.0:$${NOMAD_PORT_connect_proxy}",
            ]
          }
        }
      }
    }

    task "lobsters-popularity" {
      driver       = "raw_exec"
      kill_timeout = "5s"

      config {
        command = "/var/lib/svctl/runs/lobpop_v1-1a2b3c/bin/lobsters-popularity"
      }

      # The database's DSN, a secret: the node reads it from the Nomad
      # Variable with the task's own identity into the task's secrets
      # directory. The job names where it is, never what it is.
      template {
        destination = "secrets/lobsters_dsn"
        change_mode = "restart"
        data        = "{{ with nomadVar \"nomad/jobs\" }}{{ .lobsters_dsn }}{{ end }}"
      }

      env {
        SERVICE_VERSION = "lobpop_v1"
        POPULARITY_ADDR = "0.0.0.0:5000"
        LOBSTERS_DSN_FILE = "$${NOMAD_SECRETS_DIR}/lobsters_dsn"

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
