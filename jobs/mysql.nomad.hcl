# MySQL (Debian's MariaDB) for the demo, run by Nomad on the host network.
#
# Services in bridge-mode network namespaces reach it over its unix socket
# (raw_exec tasks share the host's filesystem): the shortest path there is, and
# one that works inside a namespace where 127.0.0.1 is not the host.
# `just up` runs this job, then creates the `lobsters` database and user,
# migrates and seeds it.

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

job "mysql" {
  datacenters = ["dc1"]
  type        = "service"

  group "mysql" {
    count = 1

    network {
      port "db" {
        static = var.port
      }
    }

    service {
      name = "mysql"
      port = "db"
      tags = ["mariadb"]

      check {
        name     = "mysql tcp"
        type     = "tcp"
        interval = "2s"
        timeout  = "1s"
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
          "--bind-address=127.0.0.1",
          "--port=${var.port}",
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
