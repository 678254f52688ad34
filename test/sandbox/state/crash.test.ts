// A SIGKILL of `isoctl sandbox serve` during a burst of writes: it restarts, and every write it
// acknowledged is there (the journal is appended before the answer is sent).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CreateRoleCommand, IAMClient, ListRolesCommand, PutRolePolicyCommand, type Role } from '@aws-sdk/client-iam';
import { baseEnv, binPath, repoRoot } from '../../helpers/cli.js';

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' }] });

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function serve(
  dir: string,
): Promise<{ child: ChildProcessWithoutNullStreams; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, '--json', 'sandbox', 'serve', '--port', '0', '--state-dir', dir], { cwd: repoRoot, env: baseEnv({}) });
    children.push(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}\n${err}`)), 30_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      try {
        const doc = JSON.parse(out) as { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };
        clearTimeout(timer);
        resolve({ child, endpoint: doc.endpoint, credentials: doc.credentials });
      } catch {
        /* not complete yet */
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${out}\n${err}`));
    });
  });
}

async function listAll(iam: IAMClient): Promise<Role[]> {
  const roles: Role[] = [];
  let Marker: string | undefined;
  do {
    const page = await iam.send(new ListRolesCommand({ Marker, MaxItems: 1000 }));
    roles.push(...(page.Roles ?? []));
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return roles;
}

describe('sandbox state under SIGKILL', () => {
  it('keeps every acknowledged write of a burst cut short by SIGKILL, and restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isoctl-crash-'));
    const first = await serve(dir);
    const iam = new IAMClient({ region: 'us-east-1', endpoint: first.endpoint, credentials: first.credentials, maxAttempts: 1 });
    const acked = new Set<string>();
    const withPolicy = new Set<string>();
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (!killed) {
        const name = `burst-${next++}`;
        try {
          await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
          acked.add(name);
          await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'data', PolicyDocument: POLICY }));
          withPolicy.add(name);
        } catch {
          if (!killed) throw new Error(`a write failed before the kill: ${name}`);
        }
        if (acked.size >= 150 && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await new Promise((r) => first.child.once('close', r));
    iam.destroy();
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(statSync(join(dir, 'state.journal')).size).toBeGreaterThan(0);

    const second = await serve(dir);
    const iam2 = new IAMClient({ region: 'us-east-1', endpoint: second.endpoint, credentials: second.credentials, maxAttempts: 1 });
    const names = new Set((await listAll(iam2)).map((r) => r.RoleName!));
    const missing = [...acked].filter((n) => !names.has(n));
    expect(missing).toEqual([]);
    // Inline policies acknowledged before the kill are there too (the sandbox serves them back).
    const { GetRolePolicyCommand } = await import('@aws-sdk/client-iam');
    for (const n of [...withPolicy].slice(-10)) {
      const p = await iam2.send(new GetRolePolicyCommand({ RoleName: n, PolicyName: 'data' }));
      expect(decodeURIComponent(p.PolicyDocument!)).toContain('dynamodb:GetItem');
    }
    iam2.destroy();
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('close', r));
    // A clean stop folds the journal into state.json.
    expect(statSync(join(dir, 'state.journal')).size).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).sections.iam.roles).length).toBeGreaterThanOrEqual(acked.size);
  }, 60_000);
});
