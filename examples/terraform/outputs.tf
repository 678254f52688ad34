# Named as isoctl.json's fields: `isoctl config from-terraform` reads `terraform output -json`
# and takes each output whose name is a config field (snake_case of the camelCase field).
output "stack" {
  value = var.stack
}
output "region" {
  value = var.region
}
output "account_id" {
  value = local.account_id
}
output "user_pool_id" {
  value = aws_cognito_user_pool.this.id
}
output "user_pool_client_id" {
  value = aws_cognito_user_pool_client.app.id
}
output "identity_pool_id" {
  value = aws_cognito_identity_pool.this.id
}
output "mapping" {
  value = var.mapping
}
output "tenant_claim" {
  value = "custom:${var.tenant_claim}"
}
output "tables" {
  value = [{
    name         = aws_dynamodb_table.data.name
    partitionKey = aws_dynamodb_table.data.hash_key
    sortKey      = aws_dynamodb_table.data.range_key
    indexes      = [for i in aws_dynamodb_table.data.global_secondary_index : i.name]
  }]
}
