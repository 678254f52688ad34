#!/bin/sh
# The runbook of bench/runbook.bench.ts done by hand with the AWS CLI, the way an operator would
# script it without isoctl: the same roles (path, trust policy, boundary, tags), inline policies,
# groups and probe users, against the same endpoint. It makes every call blind: no reads before
# writing, no read-back, no waiting for the services to see the change, no ownership checks.
#
#   runbook-aws.sh create|list|delete
#
# Environment: ENDPOINT, STACK, ACCOUNT, USER_POOL, BOUNDARY (ARN), TENANTS (space-separated ids),
# DOCS (a directory with trust.json and data.json, whose tenant id is the placeholder
# "tenantplaceholder"), and the AWS CLI's own AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
# AWS_DEFAULT_REGION.
set -eu

awsx() { aws --endpoint-url "$ENDPOINT" --output json "$@"; }

case "${1:-}" in
  create)
    for t in $TENANTS; do
      role="isoctl-$STACK-$t"
      sed "s/tenantplaceholder/$t/g" "$DOCS/data.json" > "$DOCS/data-$t.json"
      awsx iam create-role --role-name "$role" --path "/isoctl/$STACK/" \
        --assume-role-policy-document "file://$DOCS/trust.json" \
        --permissions-boundary "$BOUNDARY" \
        --description "isoctl tenant $t of stack $STACK" \
        --tags "Key=isoctl:managed-by,Value=isoctl" "Key=isoctl:stack,Value=$STACK" "Key=isoctl:tenant,Value=$t" "Key=isoctl:scopes,Value=read+write" > /dev/null
      awsx iam put-role-policy --role-name "$role" --policy-name isoctl-data --policy-document "file://$DOCS/data-$t.json"
      awsx cognito-idp create-group --user-pool-id "$USER_POOL" --group-name "$t" \
        --role-arn "arn:aws:iam::$ACCOUNT:role/isoctl/$STACK/$role" \
        --description "managed by isoctl: stack=$STACK tenant=$t" > /dev/null
      awsx cognito-idp admin-create-user --user-pool-id "$USER_POOL" --username "isoctl-probe-$t" --message-action SUPPRESS > /dev/null
      awsx cognito-idp admin-add-user-to-group --user-pool-id "$USER_POOL" --username "isoctl-probe-$t" --group-name "$t"
    done
    ;;
  list)
    awsx iam list-roles --path-prefix "/isoctl/$STACK/" --query 'Roles[].RoleName' --output text
    awsx cognito-idp list-groups --user-pool-id "$USER_POOL" --query 'Groups[].[GroupName,RoleArn]' --output text
    ;;
  delete)
    for t in $TENANTS; do
      role="isoctl-$STACK-$t"
      awsx cognito-idp delete-group --user-pool-id "$USER_POOL" --group-name "$t"
      awsx cognito-idp admin-delete-user --user-pool-id "$USER_POOL" --username "isoctl-probe-$t"
      awsx iam delete-role-policy --role-name "$role" --policy-name isoctl-data
      awsx iam delete-role --role-name "$role"
    done
    ;;
  *)
    echo "usage: $0 create|list|delete" >&2
    exit 2
    ;;
esac
