variable "job_name" {
  type    = string
  default = "reads-env"
}
