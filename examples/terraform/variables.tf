variable "stack" {
  description = "isoctl stack name (1-16 of a-z 0-9 -); names the pools and table, and becomes isoctl.json's \"stack\"."
  type        = string
  default     = "demo"
  validation {
    condition     = can(regex("^[a-z0-9-]{1,16}$", var.stack))
    error_message = "stack must be 1-16 of a-z 0-9 -."
  }
}

variable "region" {
  description = "AWS region of the pools and the table."
  type        = string
  default     = "us-east-1"
}

variable "endpoint" {
  description = "Empty for AWS; a URL (e.g. a running `isoctl sandbox serve`) to send every service this module uses to."
  type        = string
  default     = ""
}

variable "mapping" {
  description = "isoctl's mapping mode, \"token\" or \"rules\" (becomes isoctl.json's \"mapping\"; decides what the role attachment may declare)."
  type        = string
  default     = "token"
  validation {
    condition     = contains(["token", "rules"], var.mapping)
    error_message = "mapping must be \"token\" or \"rules\"."
  }
}

variable "tenant_claim" {
  description = "Name of the custom attribute carrying the tenant id, without \"custom:\" (isoctl's tenantClaim is custom:<this>)."
  type        = string
  default     = "tenant"
}

variable "manage_role_attachment" {
  description = "Declare aws_cognito_identity_pool_roles_attachment. Safe in token mode (the entry is exactly what isoctl init writes). In rules mode it would remove isoctl's rules on every apply: keep false, or see README.md."
  type        = bool
  default     = true
}
