// User pools: CreateUserPool, DescribeUserPool, DeleteUserPool, ListUserPools, GetUserPoolMfaConfig.
import { newSigningKey } from './keys.js';
import { DEFAULT_PASSWORD_POLICY, type PasswordPolicy } from './passwords.js';
import { ALNUM, randomString, type Handlers, type IdpContext } from './idp-context.js';
import { describePool, ECHO_POOL_FIELDS } from './idp-shapes.js';
import { freshId, poolsPage } from './pool-listing.js';
import type { UserPoolRecord } from './state.js';
import { buildSchema } from './user-pool-schema.js';
import {
  epochSeconds,
  invalid,
  optArray,
  optBool,
  optInt,
  optObject,
  optString,
  optStringArray,
  optStringMap,
  PATTERNS,
  reqBool,
  reqString,
  type Input,
} from './validate.js';

export function poolHandlers(c: IdpContext): Handlers {
  const { ctx, state, now, poolOf } = c;

  function passwordPolicyFrom(input: Input): PasswordPolicy {
    const policies = optObject(input, 'Policies');
    const pp = policies ? optObject(policies, 'PasswordPolicy') : undefined;
    const policy: PasswordPolicy = { ...DEFAULT_PASSWORD_POLICY };
    if (pp) {
      policy.MinimumLength = optInt(pp, 'MinimumLength', { min: 6, max: 99 }) ?? policy.MinimumLength;
      policy.RequireUppercase = optBool(pp, 'RequireUppercase') ?? policy.RequireUppercase;
      policy.RequireLowercase = optBool(pp, 'RequireLowercase') ?? policy.RequireLowercase;
      policy.RequireNumbers = optBool(pp, 'RequireNumbers') ?? policy.RequireNumbers;
      policy.RequireSymbols = optBool(pp, 'RequireSymbols') ?? policy.RequireSymbols;
      policy.TemporaryPasswordValidityDays = optInt(pp, 'TemporaryPasswordValidityDays', { min: 0, max: 365 }) ?? policy.TemporaryPasswordValidityDays;
    }
    return policy;
  }

  async function createUserPool(input: Input) {
    const name = reqString(input, 'PoolName', { min: 1, max: 128, pattern: PATTERNS.poolName });
    const usernameAttributes = optStringArray(input, 'UsernameAttributes') ?? [];
    const aliasAttributes = optStringArray(input, 'AliasAttributes') ?? [];
    for (const a of usernameAttributes)
      if (a !== 'email' && a !== 'phone_number')
        throw invalid(
          `1 validation error detected: Value '[${usernameAttributes.join(', ')}]' at 'usernameAttributes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [phone_number, email]]`,
        );
    if (usernameAttributes.length > 0 && aliasAttributes.length > 0)
      throw invalid('Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.');
    const schema = buildSchema(optArray(input, 'Schema', { min: 1, max: 50 }));
    const usernameConfig = optObject(input, 'UsernameConfiguration');
    const deletionProtection = optString(input, 'DeletionProtection', { enum: ['ACTIVE', 'INACTIVE'] }) as 'ACTIVE' | 'INACTIVE' | undefined;
    const region = ctx.region;
    const id = freshId(
      () => `${region}_${randomString(ALNUM, 9)}`,
      (candidate) => !!state.pools[candidate],
    );
    const echo: Record<string, unknown> = {};
    for (const f of ECHO_POOL_FIELDS) if (input[f] !== undefined) echo[f] = input[f];
    const signIn = optObject(input, 'Policies')?.SignInPolicy;
    if (signIn !== undefined) echo.SignInPolicy = signIn;
    const keys = await Promise.all([newSigningKey(), newSigningKey()]);
    const t = now();
    const pool: UserPoolRecord = {
      Id: id,
      Name: name,
      Arn: `arn:aws:cognito-idp:${region}:${ctx.accountId}:userpool/${id}`,
      CreationDate: t,
      LastModifiedDate: t,
      passwordPolicy: passwordPolicyFrom(input),
      schema,
      usernameAttributes,
      aliasAttributes,
      usernameCaseSensitive: usernameConfig ? reqBool(usernameConfig, 'CaseSensitive') : true,
      deletionProtection: deletionProtection ?? 'INACTIVE',
      tags: optStringMap(input, 'UserPoolTags') ?? {},
      echo,
      keys,
      clients: {},
      groups: {},
      users: {},
      refreshTokens: {},
    };
    state.pools[id] = pool;
    ctx.save();
    return { UserPool: describePool(pool) };
  }

  function deleteUserPool(input: Input) {
    const pool = poolOf(input);
    if (pool.deletionProtection === 'ACTIVE')
      throw invalid('The user pool cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.');
    delete state.pools[pool.Id];
    ctx.save();
    return {};
  }

  function listUserPools(input: Input) {
    const { page, nextToken } = poolsPage(input, Object.values(state.pools), (p) => p.Id, 'pools');
    return {
      UserPools: page.map((p) => ({
        Id: p.Id,
        Name: p.Name,
        LambdaConfig: p.echo.LambdaConfig ?? {},
        LastModifiedDate: epochSeconds(p.LastModifiedDate),
        CreationDate: epochSeconds(p.CreationDate),
      })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  return {
    CreateUserPool: createUserPool,
    DescribeUserPool: (i) => ({ UserPool: describePool(poolOf(i)) }),
    DeleteUserPool: deleteUserPool,
    ListUserPools: listUserPools,
    // What the pool's MFA setting says; the factor configurations are absent until set, as on AWS
    // for a pool made without them (Terraform's aws_cognito_user_pool reads this after every write).
    GetUserPoolMfaConfig: (i) => ({ MfaConfiguration: poolOf(i).echo.MfaConfiguration ?? 'OFF' }),
  };
}
