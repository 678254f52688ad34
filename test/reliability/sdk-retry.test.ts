// Found by the gc benchmark (500 orphans, 20% throttling): after about half the run every
// throttled Cognito call failed on its first attempt ("TooManyRequestsException", attempts=1) and
// gc ended with failed items. The SDK's standard retry strategy keeps a retry quota per client
// (500 tokens, 5 per throttled retry) that only successful answers refill; gc's reads are meant to
// answer "not found" (is the group gone? is the user gone?), so they spend the quota and never
// refill it. isoctl's clients must retry every throttled call, however long the run.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis } from '../../src/aws/apis.js';
import { createAwsClients } from '../../src/aws/clients.js';
import { mapLimit } from '../../src/ops/concurrency.js';

let server: Server;
let endpoint: string;
/** Invocation ids seen: the first attempt of each call is throttled, the retry says "not found". */
const seen = new Set<string>();
let attempts = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      attempts++;
      const id = String(req.headers['amz-sdk-invocation-id'] ?? '');
      const first = !seen.has(id);
      seen.add(id);
      const [code, message] = first ? ['TooManyRequestsException', 'Too many requests'] : ['ResourceNotFoundException', 'Group not found.'];
      const body = JSON.stringify({ __type: code, message });
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': code, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('SDK retries under sustained throttling', () => {
  it('a throttled call is retried even after hundreds of throttles answered "not found"', async () => {
    const clients = createAwsClients({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
    const apis = awsApis(clients);
    try {
      // The quota would allow 100 throttled retries (500 / 5); 150 calls go well past it.
      const results = await mapLimit(
        Array.from({ length: 150 }, (_, i) => i),
        15,
        async () =>
          apis.cognitoIdp.getGroup('us-east-1_Pool1', 'gone').then(
            (g) => (g === undefined ? 'not found' : 'found'),
            (err: Error) => `error: ${err.message}`,
          ),
      );
      const errors = results.filter((r) => r !== 'not found');
      expect(errors.slice(0, 3)).toEqual([]);
      expect(attempts).toBe(300);
    } finally {
      clients.destroy();
    }
  }, 60_000);
});
