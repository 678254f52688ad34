// Start-up cost, as ratios against `node -e 0` measured in the same run (the machine is shared
// and noisy, so only ratios are compared): `isoctl --version`, `isoctl --help`, and the time
// from spawning `isoctl whoami` until its first AWS request reaches a local endpoint.
// `aws --version` (the AWS CLI on PATH) is measured alongside for reference.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const root = process.cwd();
const bin = join(root, 'bin', 'isoctl.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 21);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeCommand(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return ms;
}

const STS_REPLY = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/bench</Arn><UserId>AIDABENCH</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;

async function firstRequestMs(): Promise<number> {
  let arrived: (() => void) | undefined;
  const server = createServer((req, res) => {
    arrived?.();
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(STS_REPLY);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const t0 = performance.now();
    const seen = new Promise<number>((r) => (arrived = () => r(performance.now() - t0)));
    const child = spawn(process.execPath, [bin, '--endpoint-url', `http://127.0.0.1:${port}`, '--region', 'us-east-1', 'whoami'], {
      stdio: 'ignore',
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDBENCH', AWS_SECRET_ACCESS_KEY: 'secret', NO_COLOR: '1' },
    });
    const ms = await seen;
    const code = await new Promise<number | null>((r) => child.on('close', r));
    if (code !== 0) throw new Error(`isoctl whoami exited ${code}`);
    return ms;
  } finally {
    server.close();
  }
}

export default async function run() {
  const node: number[] = [];
  const version: number[] = [];
  const help: number[] = [];
  const firstAws: number[] = [];
  const awsCli: number[] = [];
  const haveAwsCli = spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;
  timeCommand(process.execPath, [bin, '--help']); // warm the file cache once
  // Interleave the variants so drift in machine load hits each alike.
  for (let i = 0; i < RUNS; i++) {
    node.push(timeCommand(process.execPath, ['-e', '0']));
    version.push(timeCommand(process.execPath, [bin, '--version']));
    help.push(timeCommand(process.execPath, [bin, '--help']));
    firstAws.push(await firstRequestMs());
    if (haveAwsCli && i < Math.min(RUNS, 7)) awsCli.push(timeCommand('aws', ['--version']));
  }
  const base = median(node);
  const ratio = (xs: number[]) => Math.round((median(xs) / base) * 100) / 100;
  const metrics = {
    runs: RUNS,
    nodeMedianMs: Math.round(base * 10) / 10,
    versionMedianMs: Math.round(median(version) * 10) / 10,
    helpMedianMs: Math.round(median(help) * 10) / 10,
    firstAwsRequestMedianMs: Math.round(median(firstAws) * 10) / 10,
    awsCliVersionMedianMs: haveAwsCli ? Math.round(median(awsCli) * 10) / 10 : null,
    versionRatio: ratio(version),
    helpRatio: ratio(help),
    firstAwsRequestRatio: ratio(firstAws),
    awsCliVersionRatio: haveAwsCli ? ratio(awsCli) : null,
    firstAwsRequestVsAwsCliVersion: haveAwsCli ? Math.round((median(firstAws) / median(awsCli)) * 100) / 100 : null,
  };
  return {
    name: 'startup',
    metrics,
    targets: [
      { metric: 'versionRatio', target: '<= 1.3', value: metrics.versionRatio, ok: metrics.versionRatio <= 1.3 },
      { metric: 'helpRatio', target: '<= 2', value: metrics.helpRatio, ok: metrics.helpRatio <= 2 },
      { metric: 'firstAwsRequestRatio', target: '<= 4', value: metrics.firstAwsRequestRatio, ok: metrics.firstAwsRequestRatio <= 4 },
    ],
  };
}
