# The identity pool's default authenticated role: required by the role attachment, reached by
# nobody while the mapping says AmbiguousRoleResolution = Deny, and allowed nothing anyway.
resource "aws_iam_role" "authenticated_default" {
  count = var.manage_role_attachment ? 1 : 0
  name  = "isoctl-${var.stack}-pool-default"
  # Deliberately outside /isoctl/<stack>/: isoctl owns that path and never touches anything else.
  path = "/"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "cognito-identity.amazonaws.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals             = { "cognito-identity.amazonaws.com:aud" = aws_cognito_identity_pool.this.id }
        "ForAnyValue:StringLike" = { "cognito-identity.amazonaws.com:amr" = "authenticated" }
      }
    }]
  })
  tags = { purpose = "identity pool default role - no permissions" }
}

# SetIdentityPoolRoles replaces the pool's whole role configuration. In token mode this entry is
# exactly what `isoctl init` writes (Token, AmbiguousRoleResolution Deny), so both agree and
# neither undoes the other. In rules mode isoctl adds one rule per tenant to this entry: a
# Terraform that declares the entry removes them on every apply. Keep manage_role_attachment =
# false in rules mode, or add `lifecycle { ignore_changes = [role_mapping] }` (README.md).
resource "aws_cognito_identity_pool_roles_attachment" "this" {
  count            = var.manage_role_attachment ? 1 : 0
  identity_pool_id = aws_cognito_identity_pool.this.id
  roles = {
    authenticated = aws_iam_role.authenticated_default[0].arn
  }

  role_mapping {
    identity_provider         = local.provider
    type                      = "Token"
    ambiguous_role_resolution = "Deny"
  }
}
