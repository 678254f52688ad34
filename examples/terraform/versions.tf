terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 6.0"
    }
  }
}

# Credentials come from the standard AWS environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
# AWS_SESSION_TOKEN, AWS_PROFILE). With `endpoint` set (an `isoctl sandbox serve` URL), every
# service this module uses is sent there and the provider's account and region look-ups, which
# call services the sandbox does not model, are skipped.
locals {
  local_endpoint = var.endpoint != ""
}

provider "aws" {
  region                      = var.region
  skip_credentials_validation = local.local_endpoint
  skip_region_validation      = local.local_endpoint
  skip_requesting_account_id  = local.local_endpoint
  skip_metadata_api_check     = local.local_endpoint

  dynamic "endpoints" {
    for_each = local.local_endpoint ? [var.endpoint] : []
    content {
      cognitoidentity = endpoints.value
      cognitoidp      = endpoints.value
      dynamodb        = endpoints.value
      iam             = endpoints.value
      sts             = endpoints.value
    }
  }
}
