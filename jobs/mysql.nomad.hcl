# MySQL (Debian's MariaDB) for the demo, run by Nomad on the host network.
#
# Services in bridge-mode network namespaces reach it over its unix socket
# (raw_exec tasks share the host's filesystem): the shortest path there is, and
# one that works inside a namespace where 127.0.0.1 is not the host.
# `just up` runs this job, then creates the `lobsters` database and user,
# migrates and seeds it.
#
# On a cluster (connect = true) it is a Consul Connect service instead, in a
# network namespace of its own with an Envoy sidecar: the monolith and the
# popularity service reach it through an upstream (mysql_upstream in their
# jobs), from whichever node they run on. Its data stays on the node that runs
# it: pin it there with a constraint if the node may change.

variable "datadir" {
  type        = string
  default     = "/var/lib/microwizard/mysql"
  description = "Data directory, created and initialised on first start."
}

variable "socket" {
  type        = string
  default     = "/run/microwizard/mysqld.sock"
  description = "Unix socket the demo's services connect to."
}

variable "port" {
  type        = number
  default     = 3307
  description = "TCP port on 127.0.0.1 (3306 is left to a system server, e.g. the tests')."
}

variable "connect" {
  type        = bool
  default     = false
  description = "Run as a Consul Connect service (a cluster's way) rather than on the host network."
}

variable "host_network" {
  type        = string
  default     = ""
  description = "With connect: Nomad host_network of the sidecar's port (empty: the client's own network, which other nodes reach)."
}

variable "node" {
  type        = string
  default     = ""
  description = "The one Nomad node MySQL may run on (its data stays there); empty: any."
}

variable "envoy_binary" {
  type        = string
  default     = "envoy"
  description = "With connect: the Envoy the raw_exec sidecar runs, on the node's PATH by default."
}

variable "datacenters" {
  type        = list(string)
  default     = ["*"]
  description = "Datacenters the job may run in (Nomad's glob patterns): any, by default."
}

job "mysql" {
  datacenters = var.datacenters
  type        = "service"

  dynamic "constraint" {
    for_each = var.node != "" ? [1] : []
    content {
      attribute = "$${node.unique.name}"
      value     = var.node
    }
  }

  group "mysql" {
    count = 1

    network {
      mode = var.connect ? "bridge" : "host"

      dynamic "port" {
        for_each = var.connect ? [] : [1]
        labels   = ["db"]
        content {
          static = var.port
        }
      }

      dynamic "port" {
        for_each = var.connect ? [1] : []
        labels   = ["connect-proxy-mysql"]
        content {
          host_network = var.host_network
        }
      }
    }

    service {
      name = "mysql"
      # With connect, MariaDB listens on 3306 in the group's namespace.
      port = var.connect ? "3306" : "db"
      tags = ["mariadb"]

      # Nomad allows no TCP check on a Connect service; with connect the
      # sidecar's own listening check stands in.
      dynamic "check" {
        for_each = var.connect ? [] : [1]
        content {
          name     = "mysql tcp"
          type     = "tcp"
          interval = "2s"
          timeout  = "1s"
        }
      }

      dynamic "connect" {
        for_each = var.connect ? [1] : []
        content {
          sidecar_service {}

          # The project's raw_exec Envoy, started as in the other jobs (a
          # test keeps the commands the same).
          sidecar_task {
            driver = "raw_exec"
            config {
              command = "/bin/sh"
              args = [
                "-c", "cd \"$NOMAD_ALLOC_DIR/..\" && exec \"$0\" -c \"$NOMAD_SECRETS_DIR/envoy_bootstrap.json\" -l \"$1\" --concurrency \"$2\" --disable-hot-restart --drain-time-s 1 --drain-strategy immediate",
                var.envoy_binary,
                "$${meta.connect.log_level}",
                "$${meta.connect.proxy_concurrency}",
              ]
            }
            shutdown_delay = "3s"
          }
        }
      }
    }

    restart {
      attempts = 3
      interval = "1m"
      delay    = "2s"
      mode     = "delay"
    }

    task "init" {
      driver = "raw_exec"

      lifecycle {
        hook    = "prestart"
        sidecar = false
      }

      config {
        command = "/bin/sh"
        args = ["-euc", <<-EOT
          mkdir -p "${var.datadir}" "$(dirname "${var.socket}")"
          chown mysql:mysql "${var.datadir}" "$(dirname "${var.socket}")"
          if [ ! -d "${var.datadir}/mysql" ]; then
            mariadb-install-db --no-defaults --user=mysql --datadir="${var.datadir}" \
              --auth-root-authentication-method=socket --skip-test-db >/dev/null
          fi
          EOT
        ]
      }
    }

    task "mariadbd" {
      driver = "raw_exec"

      config {
        command = "/usr/sbin/mariadbd"
        args = [
          "--no-defaults",
          "--user=mysql",
          "--datadir=${var.datadir}",
          "--socket=${var.socket}",
          "--bind-address=${var.connect ? "0.0.0.0" : "127.0.0.1"}",
          "--port=${var.connect ? 3306 : var.port}",
          "--skip-name-resolve",
          "--innodb-buffer-pool-size=256M",
          "--max-connections=500",
        ]
      }

      kill_timeout = "20s"

      resources {
        cpu    = 500
        memory = 512
      }
    }
  }
}
