// STS: who are we (init checks the account), and which role a probe's credentials carry.
import type { AwsClients } from './clients.js';
import { call } from './call.js';

export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

export interface StsApi {
  getCallerIdentity(): Promise<CallerIdentity>;
}

export function stsApi(clients: AwsClients): StsApi {
  return {
    getCallerIdentity: () =>
      call('sts', 'GetCallerIdentity', async () => {
        const [m, c] = await Promise.all([import('@aws-sdk/client-sts'), clients.sts()]);
        const res = await c.send(new m.GetCallerIdentityCommand({}));
        return { account: res.Account ?? '', arn: res.Arn ?? '', userId: res.UserId ?? '' };
      }),
  };
}
