// The JSON Schema of isoctl.json, generated from the zod schema (never written by hand), for
// `isoctl config schema` and the committed schema/isoctl.schema.json that editors read through
// the config's "$schema". Cross-field rules (duplicate tables, name collisions) stay with
// `isoctl config validate`: JSON Schema cannot say them.
import { z } from 'zod';
import { stackConfigSchema } from './schema.js';

export function configJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(stackConfigSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    $schema,
    title: 'isoctl.json',
    description: 'The isoctl stack config; see README "Config reference". isoctl config validate also checks the rules across fields.',
    ...rest,
  };
}
