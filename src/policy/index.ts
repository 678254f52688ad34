// The policy engine's public API. Pure: no SDK, no I/O.
export type {
  ConditionBlock,
  ConditionValue,
  ContextValue,
  Decision,
  DecidingStatement,
  EvalRequest,
  EvalResult,
  PolicyDocument,
  PolicyStatement,
} from './types.js';
export {
  INLINE_POLICY_NAME,
  TAG_MANAGED_BY,
  TAG_SCOPES,
  TAG_STACK,
  TAG_TENANT,
  TENANT_PIN_TAG,
  MANAGED_BY_VALUE,
  USER_ID_TAG,
  COGNITO_IDENTITY_PRINCIPAL,
  arnPartition,
  boundaryPolicyArn,
  bucketArn,
  identityPoolArn,
  tableArn,
  tenantPrefix,
  tenantRoleArn,
  tenantRoleName,
  tenantRolePath,
  tenantTableName,
  tenantTags,
  userPoolArn,
} from './names.js';
export {
  ALLOWED_SESSION_TAG_KEYS,
  TENANT_TAG_VARIABLE,
  USER_ID_VARIABLE,
  buildBoundaryPolicy,
  buildDataPolicy,
  buildScopeDataPolicy,
  buildTenantRole,
  buildTrustPolicy,
  principalTagAttributeMap,
  resolveScopes,
  scopeActions,
  usesSessionTags,
  type TenantRoleSpec,
} from './documents.js';
export { BOUNDARY_WRITE_ACTIONS, buildBoundaryAdminPolicy, buildOperatorPolicy, buildOperatorPolicyParts, operatorPolicyName } from './operator-policy.js';
export { mergeStatements, splitOperatorPolicy } from './operator-split.js';
export { canonicalPolicy, parsePolicy, policiesEqual, policySize, serializePolicy } from './serialize.js';
export { LIMITS, assertTenantWithinLimits, checkOperatorPolicyLimits, checkStackLimits, checkTenantLimits, type LimitFinding } from './limits.js';
export { accessDeniedMessage, evaluate, evaluateNormalized, evaluateTrust, normalizeContext } from './evaluate.js';
export { SUPPORTED_OPERATORS, compilePolicy } from './compile.js';
export { proveIsolation, type IsolationProof, type ProofOptions } from './proof.js';
export type { ProofSampling } from './proof-sample.js';
export { reachBeyondTenant } from './observed-reach.js';
export { lintPolicies, policyVocabulary, type IamCatalog, type LintFinding, type LintOptions } from './lint.js';
export { sampleTenantIds } from './samples.js';
export { grantedIndexes, indexKeyVerdict, indexPartitionKey, indexProblems, isPartitioned, type IndexKeyVerdict, type IndexProblem } from './indexes.js';
export {
  classicFlowProblem,
  isIsoctlRoleArn,
  observedIndexProblems,
  otherClientClaimProblems,
  roleReachProblems,
  tenantClaimProblems,
  type AccountProblem,
  type AttributeList,
} from './account-checks.js';
export {
  TAG_SCOPE,
  TOMBSTONE_POLICY_NAME,
  abacSessionTagKeys,
  buildAbacTrustPolicy,
  buildScopeRoles,
  buildTombstonePolicy,
  scopeGroupName,
  scopeRoleArn,
  scopeRoleName,
  tombstonedTenants,
  type ScopeRoleSpec,
} from './abac.js';
export { tombstoneAt, tombstoneExpiry, tombstoneMoment, tombstoneSid, UNDATED_TOMBSTONE_SID } from './tombstone.js';
export { sampleRequests, SAMPLE_NAME, type SampleRequest } from './simulation.js';
export {
  SUSPEND_POLICY_NAME,
  REVOKE_POLICY_NAME,
  LIFECYCLE_POLICY_NAMES,
  ROLE_INLINE_POLICY_CHARS,
  buildSuspendPolicy,
  buildRevokePolicy,
  revocationTimes,
} from './lifecycle.js';
export {
  ATTACHED_POLICIES_PER_ROLE,
  DENY_INLINE_POLICY_NAMES,
  DENY_KINDS,
  containerDocuments,
  containerSize,
  denyDocument,
  denyDocumentsEqual,
  denyListHeadroom,
  denyListPolicyArn,
  denyListPolicyArnPattern,
  denyListPolicyName,
  denyListPolicyNumber,
  denyListPolicyPrefix,
  denyStatements,
  entryKey,
  placeDenyEntries,
  readDenyEntries,
  type DenyContainer,
  type DenyEntry,
  type DenyHeadroom,
  type DenyKind,
  type DenyOverflow,
  type DenyPlacement,
} from './deny-list.js';
