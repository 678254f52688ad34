// Every request the sandbox answers (faults and denials included), one JSON line each in
// <stateDir>/requests.jsonl. Written before the response is sent, so a client that got an
// answer can count its call in the log.
import { appendFileSync } from 'node:fs';
import type { ServiceName } from './contract.js';

export interface RequestLogEntry {
  t: string;
  service: ServiceName;
  operation: string;
  /** "admin", the role ARN of a session, "anonymous" (unsigned), or "unknown" (a key the sandbox does not know). */
  caller: string;
  status: number;
  mutating: boolean;
  /** The AWS error code when status >= 400. */
  error?: string;
  fault?: 'throttle' | '500' | '503' | 'reset';
  ms: number;
  requestId: string;
}

export class RequestLog {
  constructor(readonly path: string) {}

  append(entry: RequestLogEntry): void {
    appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
  }
}
