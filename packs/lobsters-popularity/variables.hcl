# What svctl passes for each run.

variable "job_name" {
  type        = string
  description = "Name of the Nomad job; one job per instance, e.g. lobsters-popularity-lobpop_v1-1a2b3c."
}

variable "deploy_name" {
  type        = string
  description = "The deployment name (svctl's NAME, e.g. lobpop_v1): the service's SERVICE_VERSION, its Consul tag and the deploy_name meta."
}

variable "source_dir" {
  type        = string
  description = "Host path of the source snapshot the binary was built from. Mounted at /srv/source under docker."
}

variable "meta" {
  type        = map(string)
  default     = {}
  description = "Meta written on the job and on its service in Consul. svctl sets svctl, service, deploy_name, source (as typed), commit and source_dir, and reads them back (svctl ps, svctl stop)."
}

variable "binary" {
  type        = string
  description = "Host path of the built service binary, when it is not fetched as an artifact (artifact_url empty): raw_exec runs it in place; docker mounts it at /srv/bin/lobsters-popularity."
}

variable "artifact_url" {
  type        = string
  default     = ""
  description = "Where the node fetches the service binary from (a go-getter source: the artifact store's s3:: URL, fetched with the node's own key); the task runs it from its local/bin. Empty: the node runs binary from its own filesystem."
}

variable "artifact_checksum" {
  type        = string
  default     = ""
  description = "Checksum of the artifact, sha256:HEX; the node refuses a download that does not match."
}

variable "source_artifact_url" {
  type        = string
  default     = ""
  description = "With driver docker and artifact_url: where the node fetches the source snapshot (a .tar.gz), unpacked at /local/source, the task's working directory."
}

variable "source_artifact_checksum" {
  type        = string
  default     = ""
  description = "Checksum of the source archive, sha256:HEX."
}

# Where the job runs.

variable "datacenters" {
  type        = list(string)
  default     = ["*"]
  description = "Datacenters the job may be placed in (Nomad's glob patterns): any, by default."
}

variable "node" {
  type        = string
  default     = ""
  description = "Name of the one Nomad node the instance may run on (a constraint on node.unique.name); empty: any node."
}

variable "region" {
  type        = string
  default     = "global"
  description = "Nomad region of the job."
}

# How the service runs.

variable "driver" {
  type        = string
  default     = "raw_exec"
  description = "Task driver of the service: raw_exec (the binary runs on the host, in the group's network namespace), exec (isolated in a chroot; needs artifact_url) or docker (in docker_image, with the binary and the source mounted)."
}

variable "docker_image" {
  type        = string
  default     = "debian:bookworm-slim"
  description = "Image the binary runs in when driver is docker. The binary must be statically linked or match the image's libc."
}

variable "mysql_socket_dir" {
  type        = string
  default     = "/run/microwizard"
  description = "Host directory holding MySQL's unix socket, mounted at the same path when driver is docker so the default dsn works; empty to mount nothing."
}

variable "dsn" {
  type        = string
  default     = ""
  description = "MySQL DSN of the Lobsters database, passed as LOBSTERS_DSN: it is then in the job for anyone who may read it. Empty (the default): the DSN is a secret kept out of the job, read by the task from the Nomad Variable dsn_variable (item dsn_variable_item) into its secrets directory, LOBSTERS_DSN_FILE."
}

variable "dsn_variable" {
  type        = string
  default     = "nomad/jobs"
  description = "With dsn empty: the path of the Nomad Variable, in the job's namespace, that holds the DSN. Every job of a namespace may read nomad/jobs (Nomad's workload identity), so one `nomad var put` per namespace serves every run (README: No secret in a job)."
}

variable "dsn_variable_item" {
  type        = string
  default     = "lobsters_dsn"
  description = "With dsn empty: the item of dsn_variable holding the DSN."
}

variable "mysql_upstream" {
  type        = string
  default     = ""
  description = "Consul service of MySQL to reach through the sidecar, on 127.0.0.1:mysql_upstream_port (then dsn should use tcp(127.0.0.1:PORT)); empty for no upstream."
}

variable "mysql_upstream_port" {
  type        = number
  default     = 3306
  description = "Local port of the mysql_upstream listener inside the group's namespace."
}

variable "app_port" {
  type        = number
  default     = 5000
  description = "Port the service listens on inside the group's network namespace (POPULARITY_ADDR); the sidecar forwards to it."
}

variable "cpu" {
  type        = number
  default     = 100
  description = "CPU of the service task, in MHz."
}

variable "memory" {
  type        = number
  default     = 64
  description = "Memory of the service task, in MB."
}

variable "log_level" {
  type        = string
  default     = "info"
  description = "Log level of the service, passed as POPULARITY_LOG_LEVEL: debug, info, warn or error. At info it logs one line per request to / (msg served, n, status, took); at warn those are off."
}

variable "db_wait" {
  type        = string
  default     = "500ms"
  description = "Longest a request to / waits for one of the service's database connections, passed as POPULARITY_DB_WAIT (a positive Go duration); past it the instance answers 503 busy with Retry-After, which the monolith tries again."
}

variable "kill_timeout" {
  type        = string
  default     = "5s"
  description = "Time the service has to exit after its kill signal before Nomad kills it."
}

variable "shutdown_delay" {
  type        = string
  default     = "3s"
  description = "Delay between the instance leaving Consul and its tasks, the sidecar included, being told to stop, so that no request is sent to a dying instance."
}

variable "check_interval" {
  type        = string
  default     = "1s"
  description = "Interval of the Consul HTTP check on /health. Consul runs a new check's first probe at a random point within one interval, so this also bounds how soon a new instance can turn healthy. Nomad refuses an interval under 1 s."
}

variable "check_timeout" {
  type        = string
  default     = "1s"
  description = "Timeout of the Consul HTTP check on /health."
}

# The Connect sidecar.

variable "sidecar" {
  type        = string
  default     = "envoy"
  description = "The Connect sidecar: envoy (Nomad's default, Envoy under docker), envoy_raw_exec (the host's Envoy binary under raw_exec) or consul_proxy (Consul's built-in L4 proxy under raw_exec). svctl picks what the Nomad client has when --var sidecar is not given."
}

variable "envoy_binary" {
  type        = string
  default     = "envoy"
  description = "Envoy binary the sidecar runs when sidecar is envoy_raw_exec: a path, or a name looked up on the Nomad agent's PATH."
}

variable "consul_binary" {
  type        = string
  default     = "consul"
  description = "Consul binary the sidecar runs when sidecar is consul_proxy: a path, or a name looked up on the Nomad agent's PATH."
}

variable "consul_http_addr" {
  type        = string
  default     = "unix:///run/microwizard/consul_http.sock"
  description = "Consul HTTP address for the consul_proxy sidecar: the host's 127.0.0.1:8500 is not reachable from the group's network namespace, so the default is the unix socket consul.hcl opens. Empty to use the CONSUL_HTTP_ADDR the task inherits from the Nomad agent."
}

variable "host_network" {
  type        = string
  default     = "mesh"
  description = "Nomad host_network for the service and sidecar ports. The default, mesh, is the one nomad.hcl declares on Nomad's bridge: a sidecar published there is reachable from other allocations' namespaces, where 127.0.0.1 is their own loopback. Empty for the client's default network."
}
