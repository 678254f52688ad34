// The request context IAM sees for S3 requests (src/policy/s3/context-keys.ts): resources,
// actions and the s3:prefix / s3:delimiter / s3:max-keys keys, present only when the request
// carries the parameter, which is what decides root listings.
import { describe, expect, it } from 'vitest';
import { s3AuthorizationChecks } from '../../../src/policy/s3/context-keys.js';

const headers = { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };

describe('S3 request context', () => {
  it('ListObjectsV2: s3:ListBucket on the bucket ARN; condition keys only for parameters sent, an empty prefix as ""', () => {
    const [none] = s3AuthorizationChecks({ operation: 'ListObjectsV2', bucket: 'b', query: { 'list-type': '2' }, headers });
    expect(none).toMatchObject({ action: 's3:ListBucket', resource: 'arn:aws:s3:::b' });
    expect(Object.keys(none!.context).filter((k) => /prefix|delimiter|max-keys/.test(k))).toEqual([]);
    const [all] = s3AuthorizationChecks({ operation: 'ListObjectsV2', bucket: 'b', query: { prefix: '', delimiter: '/', 'max-keys': '5' }, headers });
    expect(all!.context).toMatchObject({
      's3:prefix': '',
      's3:delimiter': '/',
      's3:max-keys': '5',
      's3:authType': 'REST-HEADER',
      's3:x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    });
  });

  it('object operations on arn:aws:s3:::bucket/key (GetObject and HeadObject as s3:GetObject); PutObject carries its header keys', () => {
    expect(s3AuthorizationChecks({ operation: 'HeadObject', bucket: 'b', key: 't/a/x y', query: {}, headers })).toEqual([
      expect.objectContaining({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/t/a/x y', key: 't/a/x y' }),
    ]);
    const [put] = s3AuthorizationChecks({ operation: 'PutObject', bucket: 'b', key: 'k', query: {}, headers: { ...headers, 'x-amz-acl': 'public-read' } });
    expect(put).toMatchObject({ action: 's3:PutObject', context: { 's3:x-amz-acl': 'public-read' } });
  });

  it('DeleteObjects: one s3:DeleteObject check per key; HeadBucket needs s3:ListBucket', () => {
    const checks = s3AuthorizationChecks({ operation: 'DeleteObjects', bucket: 'b', query: { delete: '' }, headers, keys: ['a/1', 'b/2'] });
    expect(checks.map((c) => [c.action, c.resource])).toEqual([
      ['s3:DeleteObject', 'arn:aws:s3:::b/a/1'],
      ['s3:DeleteObject', 'arn:aws:s3:::b/b/2'],
    ]);
    expect(s3AuthorizationChecks({ operation: 'HeadBucket', bucket: 'b', query: {}, headers })[0]).toMatchObject({
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::b',
    });
  });
});
