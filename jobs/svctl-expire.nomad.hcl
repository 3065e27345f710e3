# The cluster's own expiry: every 30 seconds, `svctl expire` stops the versions
# whose time to live is up (svctl run -ttl, svctl extend), as svctl stop
# stops them (out of Consul first, no failed request), whoever ran them. It
# runs in the cluster, not on a laptop that may be closed.
#
# `just up` runs it with the built svctl on this machine:
#   nomad job run -var binary=$PWD/bin/svctl jobs/svctl-expire.nomad.hcl
# on a cluster, with the binary from the artifact store (svctl publish):
#   nomad job run $(svctl publish bin/svctl | sed 's/^/-var /') -var nomad_addr=... -var consul_addr=... jobs/svctl-expire.nomad.hcl
# Either way it waits for the Nomad Variable nomad/jobs/svctl-expire: its
# tokens where the cluster has ACLs (items NOMAD_TOKEN, CONSUL_HTTP_TOKEN),
# any item (e.g. SVCTL_EXPIRE_ACLS=off) where it has none.

variable "binary" {
  type        = string
  default     = ""
  description = "Host path of svctl (go build -o bin/svctl ./tools/svctl) on the node that runs it; empty when artifact_url is set."
}

variable "artifact_url" {
  type        = string
  default     = ""
  description = "On a cluster: where the node fetches svctl (svctl publish prints it); the task runs local/svctl."
}

variable "artifact_checksum" {
  type        = string
  default     = ""
  description = "sha256:HEX of the artifact; the node refuses a download that does not match."
}

variable "nomad_addr" {
  type        = string
  default     = "http://127.0.0.1:4646"
  description = "The Nomad HTTP API svctl expire talks to, from the node."
}

variable "consul_addr" {
  type        = string
  default     = "127.0.0.1:8500"
  description = "The Consul HTTP API svctl expire talks to, from the node (its local agent)."
}

variable "nomad_cacert" {
  type        = string
  default     = ""
  description = "On a cluster with TLS: the node's path of the CA of Nomad's certificates (NOMAD_CACERT); empty for plain HTTP."
}

variable "consul_cacert" {
  type        = string
  default     = ""
  description = "On a cluster with TLS: the node's path of the CA of Consul's certificates (CONSUL_CACERT); empty for plain HTTP."
}

variable "datacenters" {
  type        = list(string)
  default     = ["*"]
  description = "Datacenters the job may be placed in."
}

job "svctl-expire" {
  datacenters = var.datacenters
  type        = "batch"

  periodic {
    # Every 30 s (seconds first, cronexpr's seven fields): a version lives at
    # most half a minute past its time.
    crons            = ["*/30 * * * * * *"]
    prohibit_overlap = true
  }

  group "expire" {
    # One try a minute is enough: the next run tries again.
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }

    task "expire" {
      driver = "raw_exec"

      dynamic "artifact" {
        for_each = var.artifact_url != "" ? [1] : []
        content {
          source      = var.artifact_url
          destination = "local/svctl"
          mode        = "file"
          options {
            checksum = var.artifact_checksum
          }
        }
      }

      config {
        command = var.artifact_url != "" ? "local/svctl" : var.binary
        args    = ["expire"]
      }

      # Its tokens, where the cluster has ACLs: from the Nomad Variable
      # nomad/jobs/svctl-expire (this job's own, which only it reads), put
      # there by the cluster's set-up; each item NAME=VALUE becomes an
      # environment variable of the task. None is in the job.
      template {
        destination = "secrets/tokens.env"
        env         = true
        change_mode = "restart"
        data        = <<-EOT
          {{- with nomadVar "nomad/jobs/svctl-expire" }}{{ range $k, $v := . }}
          {{ $k }}={{ $v }}
          {{- end }}{{ end }}
        EOT
      }

      env {
        NOMAD_CACERT     = var.nomad_cacert
        CONSUL_CACERT    = var.consul_cacert
        NOMAD_ADDR       = var.nomad_addr
        CONSUL_HTTP_ADDR = var.consul_addr
        SVCTL_DATA       = "${NOMAD_TASK_DIR}/svctl"
        SVCTL_OWNER      = "svctl-expire"
      }

      resources {
        cpu    = 50
        memory = 64
      }
    }
  }
}
