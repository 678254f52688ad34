// What the tenant operations need from the outside world: the config, the AWS adapters, time.
import type { AwsApis } from '../aws/apis.js';
import type { StackConfig } from '../config/schema.js';

export interface TenantContext {
  config: StackConfig;
  apis: AwsApis;
  /** epoch ms */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  signal?: AbortSignal | undefined;
  /** Progress for people (spinner text or a line on stderr). */
  progress?: ((message: string) => void) | undefined;
  /** The command, for the lock's holder field. */
  purpose?: string | undefined;
}
