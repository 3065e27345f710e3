# What svctl passes for each run.

variable "job_name" {
  type        = string
  description = "Name of the Nomad job; one job per instance, e.g. greeter-greet_v1-1a2b3c."
}

variable "deploy_name" {
  type        = string
  description = "The deployment name (svctl's NAME, e.g. greet_v1): the greeter's SERVICE_VERSION and its Consul tag."
}

variable "meta" {
  type        = map(string)
  default     = {}
  description = "Meta written on the job and on its service in Consul; svctl finds its runs by it (svctl ps, logs, stop). Keys must be HCL identifiers."
}

variable "binary" {
  type        = string
  default     = ""
  description = "Path of the built greeter on the node, run in place when artifact_url is empty."
}

variable "artifact_url" {
  type        = string
  default     = ""
  description = "Where the node fetches the greeter from (a go-getter source, such as the artifact store's URL); the task runs it as local/bin/greeter. Empty: the node runs binary."
}

variable "artifact_checksum" {
  type        = string
  default     = ""
  description = "Checksum of the artifact, sha256:HEX; the node refuses a download that does not match."
}

# What the greeter says.

variable "greeting" {
  type        = string
  default     = "hello"
  description = "What GET / says after the version: GREETER_GREETING."
}

# Where and how it runs.

variable "datacenters" {
  type        = list(string)
  default     = ["*"]
  description = "Datacenters the job may be placed in (Nomad's glob patterns): any, by default."
}

variable "cpu" {
  type        = number
  default     = 50
  description = "CPU of the greeter task, in MHz."
}

variable "memory" {
  type        = number
  default     = 32
  description = "Memory of the greeter task, in MB."
}
