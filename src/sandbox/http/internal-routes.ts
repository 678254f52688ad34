// Routes that are not AWS API calls: the loopback-only /__sandbox/* endpoints other isoctl
// processes use to check and share a server, and services' plain HTTP routes (e.g. JWKS).
import type { ServerResponse } from 'node:http';
import type { JsonService } from '../contract.js';
import type { RequestLog } from '../request-log.js';
import type { JsonServiceName } from '../wiring.js';

export interface InternalRouteHost {
  instanceId: string;
  /** True once close() has begun: no new attachments. */
  closing(): boolean;
  attached: Set<number>;
}

function reply(res: ServerResponse, status: number, doc: unknown): void {
  const payload = JSON.stringify(doc);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** /__sandbox/health, /__sandbox/attach and /__sandbox/detach. */
export function internalRoute(host: InternalRouteHost, method: string, path: string, body: Buffer, res: ServerResponse): void {
  if (method === 'GET' && path === '/__sandbox/health') return reply(res, 200, { ok: true, pid: process.pid, instanceId: host.instanceId });
  if (method === 'POST' && (path === '/__sandbox/attach' || path === '/__sandbox/detach')) {
    let pid: unknown;
    try {
      pid = (JSON.parse(body.toString('utf8')) as { pid?: unknown }).pid;
    } catch {
      pid = undefined;
    }
    if (typeof pid !== 'number') return reply(res, 400, { message: 'pid required' });
    if (path === '/__sandbox/attach') {
      if (host.closing()) return reply(res, 409, { message: 'closing' });
      host.attached.add(pid);
    } else host.attached.delete(pid);
    return reply(res, 200, { ok: true, instanceId: host.instanceId });
  }
  reply(res, 404, { message: `No route for ${method} ${path}` });
}

/** A service's own plain HTTP route (logged), or 404. */
export function plainRoute(
  services: Map<JsonServiceName, JsonService>,
  requestLog: RequestLog,
  method: string,
  path: string,
  res: ServerResponse,
  started: number,
  reqId: string,
): void {
  for (const [name, svc] of services) {
    const answer = svc.route?.(method, path);
    if (!answer) continue;
    requestLog.append({
      t: new Date().toISOString(),
      service: name,
      operation: `${method} ${path}`,
      caller: 'anonymous',
      status: answer.status,
      mutating: false,
      ms: Math.round(performance.now() - started),
      requestId: reqId,
    });
    res.writeHead(answer.status, { 'Content-Type': answer.contentType, 'Content-Length': Buffer.byteLength(answer.body), 'x-amzn-RequestId': reqId });
    res.end(answer.body);
    return;
  }
  reply(res, 404, { message: `No route for ${method} ${path}` });
}
