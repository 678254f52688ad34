# What isoctl expects of its surroundings. Terraform owns these; isoctl owns the tenants
# (roles under /isoctl/<stack>/, groups or rules, the boundary, the lock table).

data "aws_caller_identity" "current" {
  count = local.local_endpoint ? 0 : 1
}

locals {
  # The sandbox's account unless an account id can be asked for (skip_requesting_account_id).
  account_id = local.local_endpoint ? "000000000000" : data.aws_caller_identity.current[0].account_id
  provider   = "cognito-idp.${var.region}.amazonaws.com/${aws_cognito_user_pool.this.id}:${aws_cognito_user_pool_client.app.id}"
}

# The user pool, with the tenant claim as a custom attribute. Only an administrator writes it
# (AdminUpdateUserAttributes); the app client below cannot.
resource "aws_cognito_user_pool" "this" {
  name = "isoctl-${var.stack}"

  schema {
    name                     = var.tenant_claim
    attribute_data_type      = "String"
    mutable                  = true
    developer_only_attribute = false
    required                 = false
    string_attribute_constraints {
      min_length = 1
      max_length = 32
    }
  }
}

# The app client: reads the tenant claim (it must reach ID tokens: rules mode and the
# principal-tag map read it), never writes it (a user would choose their own tenant).
resource "aws_cognito_user_pool_client" "app" {
  name         = "isoctl-${var.stack}-app"
  user_pool_id = aws_cognito_user_pool.this.id

  generate_secret     = false
  # ALLOW_ADMIN_USER_PASSWORD_AUTH: `tenant create --wait data` and `tenant verify` sign a probe user in
  # through the admin API to prove isolation end to end.
  explicit_auth_flows = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

  read_attributes  = ["email", "email_verified", "name", "custom:${var.tenant_claim}"]
  write_attributes = ["email", "name"]
}

# The identity pool: authenticated identities only, basic (classic) flow off (it would let a
# user assume any role that trusts the pool, bypassing the mapping).
resource "aws_cognito_identity_pool" "this" {
  identity_pool_name               = "isoctl_${replace(var.stack, "-", "_")}"
  allow_unauthenticated_identities = false
  allow_classic_flow               = false

  cognito_identity_providers {
    client_id               = aws_cognito_user_pool_client.app.id
    provider_name           = aws_cognito_user_pool.this.endpoint
    server_side_token_check = false
  }
}

# The pooled table: every tenant's rows, partition key = tenant id; the index is keyed on the
# tenant too, so isoctl grants it (an index whose partition key is another attribute is never
# granted: LeadingKeys on an index is the index's own partition key).
resource "aws_dynamodb_table" "data" {
  name         = "isoctl-${var.stack}-data"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "tenantId"
  range_key    = "sk"

  attribute {
    name = "tenantId"
    type = "S"
  }
  attribute {
    name = "sk"
    type = "S"
  }
  attribute {
    name = "status"
    type = "S"
  }

  global_secondary_index {
    name            = "byTenantStatus"
    hash_key        = "tenantId"
    range_key       = "status"
    projection_type = "ALL"
  }
}
