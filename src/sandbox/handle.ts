// What a started or attached sandbox gives the rest of isoctl: where to send AWS calls and how to stop it.
// It lives in the sandbox (not in src/deps.ts) so the sandbox never imports the command layer.

export interface SandboxHandle {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  close(): Promise<void>;
}
