// The AWS CLI (botocore, an independent client) against an endpoint: every answer must parse,
// so a shape it cannot read fails the test. Commands run in one long-lived Python process
// (awscli_server.py drives the CLI's own entry point) to keep the suite fast on 2 cores.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface AwsResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

export const scratch = mkdtempSync(join(tmpdir(), 'isoctl-s3cli-'));
const noAwsConfig = join(scratch, 'none');

export function file(name: string, content: string | Buffer): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

export class AwsCli {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private readonly waiting: Array<(line: string) => void> = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor() {
    const script = join(dirname(fileURLToPath(import.meta.url)), 'awscli_server.py');
    this.child = spawn('python3', [script], { env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    let stderr = '';
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    this.child.on('exit', () => {
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ code: -1, stdout: '', stderr: `awscli_server.py exited:\n${stderr}` }));
    });
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => {
      this.buffer += d;
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.waiting.shift()?.(line);
      }
    });
  }

  /** `aws --endpoint-url <endpoint> --output json <args>` with these credentials and no config files. */
  run(endpoint: string, creds: Creds, args: string[], region = 'us-east-1'): Promise<AwsResult> {
    const env: Record<string, string> = {
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_DEFAULT_REGION: region,
      AWS_PAGER: '',
      AWS_CONFIG_FILE: noAwsConfig,
      AWS_SHARED_CREDENTIALS_FILE: noAwsConfig,
    };
    if (creds.sessionToken) env.AWS_SESSION_TOKEN = creds.sessionToken;
    const call = this.queue.then(
      () =>
        new Promise<AwsResult>((resolve) => {
          this.waiting.push((line) => {
            const r = JSON.parse(line) as { code: number; stdout: string; stderr: string };
            let json: unknown;
            try {
              json = r.stdout.trim() === '' ? undefined : JSON.parse(r.stdout);
            } catch {
              json = undefined;
            }
            resolve({ ...r, json });
          });
          this.child.stdin.write(`${JSON.stringify({ args: ['--endpoint-url', endpoint, '--output', 'json', ...args], env })}\n`);
        }),
    );
    this.queue = call;
    return call;
  }

  close(): void {
    this.child.stdin.end();
  }
}
