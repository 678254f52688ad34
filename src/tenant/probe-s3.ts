// The probe's S3 checks, for each configured bucket, with the tenant's temporary credentials:
//   - own-prefix (allow): put a probe object under the tenant's prefix, read it back, delete it
//     (or, with a read-only scope, list the own prefix);
//   - other-prefix (deny): read a key under another tenant's prefix (or list that prefix);
//   - bucket-root-list (deny): list the bucket without the tenant's prefix.
// Deny checks only read: a broken policy must never let the probe write into another tenant.
import { randomUUID } from 'node:crypto';
import type { AwsApis } from '../aws/apis.js';
import { AwsCallError } from '../aws/apis.js';
import type { BucketConfig, StackConfig } from '../config/schema.js';
import { tenantPrefix } from '../policy/index.js';

/** One S3 check; a ProbeCheck (probe.ts) in shape. Defined here so the two modules do not import each other. */
export interface S3Check {
  name: 'own-prefix' | 'other-prefix' | 'bucket-root-list';
  action: string;
  table: string;
  bucket: string;
  keys: string[];
  expect: 'allow' | 'deny';
  outcome: 'allowed' | 'denied' | 'error';
  ok: boolean;
  detail?: string | undefined;
}

async function attempt(
  name: S3Check['name'],
  action: string,
  bucket: string,
  key: string,
  expect: S3Check['expect'],
  fn: () => Promise<unknown>,
): Promise<S3Check> {
  const base = { name, action, table: bucket, bucket, keys: [key], expect };
  try {
    await fn();
    return { ...base, outcome: 'allowed', ok: expect === 'allow', detail: expect === 'allow' ? undefined : 'ALLOWED: isolation does not hold' };
  } catch (err) {
    if (err instanceof AwsCallError && err.kind === 'access-denied') return { ...base, outcome: 'denied', ok: expect === 'deny', detail: err.awsMessage };
    if (err instanceof AwsCallError) return { ...base, outcome: 'error', ok: false, detail: err.summary };
    throw err;
  }
}

async function bucketChecks(s3: AwsApis['s3'], bucket: BucketConfig, tenant: string, against: string, actions: Set<string>): Promise<S3Check[]> {
  const own = tenantPrefix(bucket, tenant);
  const other = tenantPrefix(bucket, against);
  const probeKey = `${own}isoctl-probe-${randomUUID()}`;
  const canList = actions.has('s3:ListBucket');
  const out: S3Check[] = [];
  if (actions.has('s3:PutObject') && actions.has('s3:DeleteObject'))
    out.push(
      await attempt('own-prefix', 's3:PutObject', bucket.name, probeKey, 'allow', async () => {
        await s3.putObject(bucket.name, probeKey, 'isoctl probe');
        try {
          if (actions.has('s3:GetObject') && (await s3.getObject(bucket.name, probeKey)) === undefined)
            throw new Error(`the probe object ${probeKey} was not readable after it was written`);
        } finally {
          await s3.deleteObject(bucket.name, probeKey);
        }
      }),
    );
  else if (canList)
    out.push(await attempt('own-prefix', 's3:ListBucket', bucket.name, own, 'allow', () => s3.listObjects({ bucket: bucket.name, prefix: own, maxKeys: 1 })));
  if (actions.has('s3:GetObject'))
    out.push(
      await attempt('other-prefix', 's3:GetObject', bucket.name, `${other}isoctl-probe`, 'deny', () => s3.getObject(bucket.name, `${other}isoctl-probe`)),
    );
  else if (canList)
    out.push(
      await attempt('other-prefix', 's3:ListBucket', bucket.name, other, 'deny', () => s3.listObjects({ bucket: bucket.name, prefix: other, maxKeys: 1 })),
    );
  if (canList) out.push(await attempt('bucket-root-list', 's3:ListBucket', bucket.name, '', 'deny', () => s3.listObjects({ bucket: bucket.name, maxKeys: 1 })));
  return out;
}

/** The S3 checks of one probe run; none when the config has no buckets or the scopes grant no S3 action. */
export async function s3ProbeChecks(probeApis: AwsApis, config: StackConfig, tenant: string, against: string, scopes: string[]): Promise<S3Check[]> {
  const actions = new Set(scopes.flatMap((s) => config.scopes[s] ?? []).filter((a) => a.startsWith('s3:')));
  if (actions.size === 0) return [];
  const out: S3Check[] = [];
  for (const bucket of config.buckets) out.push(...(await bucketChecks(probeApis.s3, bucket, tenant, against, actions)));
  return out;
}
