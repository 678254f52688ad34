// A FakeAws over a small valid stack config (one pooled table `Orders` keyed on tenantId), with
// the named tables already ACTIVE: the setup the in-process engine tests share.
import { validateConfig } from '../../src/config/load.js';
import { FakeAws } from './fake-aws.js';

export function fakeAwsStack(opts: { stack: string; mapping?: 'token' | 'rules' | 'abac'; activeTables?: string[] }): FakeAws {
  const config = validateConfig(
    {
      stack: opts.stack,
      region: 'eu-central-1',
      accountId: '123456789012',
      userPoolId: 'eu-central-1_Pool1',
      userPoolClientId: 'client1',
      identityPoolId: 'eu-central-1:00000000-0000-0000-0000-000000000001',
      ...(opts.mapping ? { mapping: opts.mapping } : {}),
      tables: [{ name: 'Orders', partitionKey: 'tenantId' }],
    },
    'test',
  );
  const fake = new FakeAws(config);
  for (const name of opts.activeTables ?? ['Orders'])
    fake.tables.set(name, {
      name,
      arn: `arn:aws:dynamodb:eu-central-1:123456789012:table/${name}`,
      status: 'ACTIVE',
      partitionKey: { name: name === 'Orders' ? 'tenantId' : 'lockId', type: 'S' },
      sortKey: undefined,
    });
  return fake;
}
