// A bare awsJson1_0 front for the DynamoDB service, for checking that real clients (the AWS SDK
// and the AWS CLI) parse its responses on their own, apart from the sandbox core's server.
// Every request is treated as the admin caller; no signature check.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SandboxError, type Caller, type JsonService } from '../../../src/sandbox/contract.js';

export async function serveJson(service: JsonService, caller: Caller): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.split('.')[1] ?? '';
      const send = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': 'TESTREQUEST' });
        res.end(text);
      };
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return send(400, { __type: 'com.amazon.coral.service#SerializationException', message: 'bad JSON' });
      }
      service.handle(operation, input, caller).then(
        (out) => send(200, out),
        (err: unknown) => {
          const e = err instanceof SandboxError ? err : new SandboxError('InternalServerError', String(err), 500);
          send(e.status, { __type: `com.amazonaws.dynamodb.v20120810#${e.code}`, message: e.message });
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
