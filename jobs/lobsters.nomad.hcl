# The Lobsters monolith, run by Nomad in its own network namespace with a
# Consul Connect sidecar. It reaches lobsters-popularity only through the
# sidecar's upstream listener on 127.0.0.1:8000 (POPULARITY_URL), and is
# published on 127.0.0.1:3000 on the host.
#
# `just up` runs it with the paths of the built binary and of Envoy:
#   nomad job run -var binary=$PWD/bin/lobsters -var envoy_binary=$(command -v envoy) jobs/lobsters.nomad.hcl

variable "binary" {
  type        = string
  default     = ""
  description = "Host path of the built monolith (go build -o bin/lobsters ./lobsters/cmd/lobsters), on the node that runs it; empty when artifact_url is set."
}

variable "artifact_url" {
  type        = string
  default     = ""
  description = "On a cluster: where the node fetches the monolith's binary (svctl publish prints it); the task runs local/lobsters."
}

variable "artifact_checksum" {
  type        = string
  default     = ""
  description = "sha256:HEX of the artifact; the node refuses a download that does not match."
}

variable "mysql_upstream" {
  type        = string
  default     = ""
  description = "On a cluster: the Consul service of MySQL, reached through the sidecar on 127.0.0.1:3306 (dsn then uses tcp(127.0.0.1:3306)); empty for none."
}

variable "node" {
  type        = string
  default     = ""
  description = "The one Nomad node the monolith may run on; empty: any."
}

variable "host_network" {
  type        = string
  default     = "mesh"
  description = "Nomad host_network of the sidecar's port: mesh (nomad.hcl's, on Nomad's bridge) on the dev agent; empty on a cluster, the client's own network, which other nodes reach."
}

variable "port" {
  type        = number
  default     = 3000
  description = "Host port the monolith is published on, at 127.0.0.1."
}

variable "dsn" {
  type        = string
  default     = ""
  description = "Database the monolith reads, as LOBSTERS_DSN: then in the job for anyone who may read it. Empty (the default): the DSN is a secret the task reads from the Nomad Variable nomad/jobs (item lobsters_dsn) into its secrets directory (LOBSTERS_DSN_FILE); `just up` and scripts/cluster-up put it there."
}

variable "personal_versions" {
  type        = string
  default     = "on"
  description = "LOBSTERS_PERSONAL_VERSIONS: on for this development job (a developer's svctl-version baggage, link or cookie chooses a live private version); off for a public edge, where an incoming svctl-version is dropped."
}

variable "sidecar" {
  type        = string
  default     = "envoy_raw_exec"
  description = "envoy (Nomad's default: Envoy under docker), envoy_raw_exec (the host's envoy binary) or consul_proxy (Consul's built-in L4 proxy)."
}

variable "envoy_binary" {
  type        = string
  default     = "envoy"
  description = "Envoy binary for sidecar = envoy_raw_exec."
}

variable "consul_binary" {
  type        = string
  default     = "consul"
  description = "Consul binary for sidecar = consul_proxy."
}

variable "consul_http_addr" {
  type        = string
  default     = "unix:///run/microwizard/consul_http.sock"
  description = "Consul HTTP API as seen from inside the namespace, for sidecar = consul_proxy."
}

variable "popularity_timeout" {
  type        = string
  default     = "20s"
  description = "How long /popular waits for the service (the slow version takes seconds)."
}

variable "datacenters" {
  type        = list(string)
  default     = ["*"]
  description = "Datacenters the job may run in (Nomad's glob patterns): any, by default."
}

job "lobsters" {
  datacenters = var.datacenters
  type        = "service"

  dynamic "constraint" {
    for_each = var.node != "" ? [1] : []
    content {
      attribute = "$${node.unique.name}"
      value     = var.node
    }
  }

  meta {
    sidecar = var.sidecar
  }

  group "lobsters" {
    count = 1

    network {
      mode = "bridge"

      port "http" {
        static = var.port
        to     = 3000
      }

      # The sidecar's public port, on Nomad's bridge (see nomad.hcl) on the
      # dev agent.
      port "connect-proxy-lobsters" {
        host_network = var.host_network
      }
    }

    service {
      name = "lobsters"
      port = "3000"

      check {
        name     = "lobsters http"
        type     = "http"
        path     = "/health"
        interval = "2s"
        timeout  = "1s"
        expose   = true
      }

      connect {
        sidecar_service {
          disable_default_tcp_check = true

          proxy {
            upstreams {
              destination_name = "lobsters-popularity"
              local_bind_port  = 8000
            }

            dynamic "upstreams" {
              for_each = var.mysql_upstream != "" ? [1] : []
              content {
                destination_name = var.mysql_upstream
                local_bind_port  = 3306
              }
            }
          }
        }

        dynamic "sidecar_task" {
          for_each = var.sidecar == "envoy_raw_exec" ? [1] : []
          content {
            driver = "raw_exec"
            config {
              # Nomad's bootstrap points Envoy at alloc/tmp/consul_grpc.sock, a path
              # relative to the allocation directory: start Envoy there. Close
              # connections opened under a listener's old config within a
              # second, so that `svctl mesh PROFILE` takes effect at once.
              command = "/bin/sh"
              args = [
                "-c", "cd \"$NOMAD_ALLOC_DIR/..\" && exec \"$0\" -c \"$NOMAD_SECRETS_DIR/envoy_bootstrap.json\" -l \"$1\" --concurrency \"$2\" --disable-hot-restart --drain-time-s 1 --drain-strategy immediate",
                var.envoy_binary,
                "$${meta.connect.log_level}",
                "$${meta.connect.proxy_concurrency}",
              ]
            }
            shutdown_delay = "3s"
            resources {
              cpu    = 100
              memory = 96
            }
          }
        }

        dynamic "sidecar_task" {
          for_each = var.sidecar == "consul_proxy" ? [1] : []
          content {
            driver = "raw_exec"
            config {
              command = var.consul_binary
              args = [
                "connect", "proxy",
                "-service", "lobsters",
                "-service-addr", "127.0.0.1:3000",
                "-listen", "0.0.0.0:$${NOMAD_PORT_connect_proxy_lobsters}",
                "-upstream", "lobsters-popularity:8000",
              ]
            }
            env {
              CONSUL_HTTP_ADDR = var.consul_http_addr
            }
            shutdown_delay = "3s"
          }
        }
      }
    }

    task "lobsters" {
      driver = "raw_exec"

      dynamic "artifact" {
        for_each = var.artifact_url != "" ? [1] : []
        content {
          source      = var.artifact_url
          destination = "local/lobsters"
          mode        = "file"
          options {
            checksum = var.artifact_checksum
          }
        }
      }

      config {
        command = var.artifact_url != "" ? "local/lobsters" : var.binary
      }

      # The database's DSN, a secret: read by the node with the task's own
      # identity from the Nomad Variable into the task's secrets directory.
      dynamic "template" {
        for_each = var.dsn == "" ? [1] : []
        content {
          destination = "secrets/lobsters_dsn"
          change_mode = "restart"
          data        = "{{ with nomadVar \"nomad/jobs\" }}{{ .lobsters_dsn }}{{ end }}"
        }
      }

      # The live private versions of lobsters-popularity, the only ones a
      # reader may choose (one per line: name, owner, expiry), from Consul's
      # catalog and svctl's expiry records; re-read by the monolith when it
      # changes.
      template {
        destination = "local/private_versions.tsv"
        change_mode = "noop"
        # Rendered at once, not after Nomad's default quiet of 5 s: a new
        # private version answers its developer as soon as it is healthy.
        wait {
          min = "0s"
          max = "1s"
        }
        data = <<-EOT
          {{- range service "lobsters-popularity" }}{{ if eq (index .ServiceMeta "private") "1" }}
          {{ index .ServiceMeta "deploy_name" }}	{{ index .ServiceMeta "owner" }}	{{ with keyOrDefault (printf "svctl/expiry/%s/lobsters-popularity/%s" (index .ServiceMeta "namespace") (index .ServiceMeta "deploy_name")) "" }}{{ with parseJSON . }}{{ .expires }}{{ end }}{{ end }}
          {{- end }}{{ end }}
        EOT
      }

      env {
        LOBSTERS_ADDR              = "0.0.0.0:3000"
        LOBSTERS_DSN               = var.dsn
        LOBSTERS_DSN_FILE          = var.dsn == "" ? "$${NOMAD_SECRETS_DIR}/lobsters_dsn" : ""
        LOBSTERS_PERSONAL_VERSIONS = var.personal_versions
        LOBSTERS_VERSIONS_FILE     = "$${NOMAD_TASK_DIR}/private_versions.tsv"
        POPULARITY_URL             = "http://127.0.0.1:8000/"
        POPULARITY_TIMEOUT         = var.popularity_timeout
        # Consul's L4 proxy picks an instance per TCP connection: a kept-alive
        # connection would pin every request to one instance.
        POPULARITY_KEEPALIVE = var.sidecar == "consul_proxy" ? "false" : "true"
      }

      kill_timeout = "25s"

      resources {
        cpu    = 300
        memory = 256
      }
    }
  }
}
