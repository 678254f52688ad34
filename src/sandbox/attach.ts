// Placeholder until the sandbox lands (issue 4): --sandbox refuses clearly instead of pretending.
import type { SandboxHandle } from '../deps.js';
import { UsageError } from '../errors.js';

export async function attachSandbox(_opts: { stateDir: string; log?: (m: string) => void }): Promise<SandboxHandle> {
  throw new UsageError('--sandbox is not available in this build yet', 'sandbox_unavailable');
}
