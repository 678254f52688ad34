// User pool schema: the standard attributes every pool has, custom attributes (`custom:<name>`),
// and the checks Cognito applies to user attributes against them.
import { invalid } from './validate.js';
import type { SchemaAttribute } from './state.js';

type Std = Omit<SchemaAttribute, 'Name' | 'DeveloperOnlyAttribute'>;
const str = (min = '0', max = '2048'): Std => ({
  AttributeDataType: 'String',
  Mutable: true,
  Required: false,
  StringAttributeConstraints: { MinLength: min, MaxLength: max },
});
const bool = (): Std => ({ AttributeDataType: 'Boolean', Mutable: true, Required: false });

const STANDARD: Record<string, Std> = {
  sub: { AttributeDataType: 'String', Mutable: false, Required: true, StringAttributeConstraints: { MinLength: '1', MaxLength: '2048' } },
  name: str(),
  given_name: str(),
  family_name: str(),
  middle_name: str(),
  nickname: str(),
  preferred_username: str(),
  profile: str(),
  picture: str(),
  website: str(),
  email: str(),
  email_verified: bool(),
  gender: str(),
  birthdate: str('10', '10'),
  zoneinfo: str(),
  locale: str(),
  phone_number: str(),
  phone_number_verified: bool(),
  address: str(),
  updated_at: { AttributeDataType: 'Number', Mutable: true, Required: false, NumberAttributeConstraints: { MinValue: '0' } },
  identities: { AttributeDataType: 'String', Mutable: true, Required: false, StringAttributeConstraints: {} },
};

const DATA_TYPES = ['String', 'Number', 'DateTime', 'Boolean'] as const;

function standard(name: string): SchemaAttribute {
  return { Name: name, DeveloperOnlyAttribute: false, ...structuredClone(STANDARD[name]!) };
}

/** The pool's schema from CreateUserPool's `Schema`: every standard attribute, overrides applied, then the custom ones. */
export function buildSchema(input: unknown[] | undefined): SchemaAttribute[] {
  const std = new Map(Object.keys(STANDARD).map((n) => [n, standard(n)]));
  const custom: SchemaAttribute[] = [];
  for (const raw of input ?? []) {
    if (!raw || typeof raw !== 'object') throw invalid('Invalid schema attribute.');
    const a = raw as Record<string, unknown>;
    const name = typeof a.Name === 'string' ? a.Name : '';
    if (name.length < 1 || name.length > 20) throw invalid(`Schema attribute name ${JSON.stringify(name)} must be 1 to 20 characters long.`);
    const type = a.AttributeDataType;
    if (type !== undefined && !DATA_TYPES.includes(type as (typeof DATA_TYPES)[number]))
      throw invalid(
        `1 validation error detected: Value '${String(type)}' at 'schema.member.attributeDataType' failed to satisfy constraint: Member must satisfy enum value set: [${DATA_TYPES.join(', ')}]`,
      );
    const existing = std.get(name);
    if (existing) {
      if ((type !== undefined && type !== existing.AttributeDataType) || a.DeveloperOnlyAttribute === true)
        throw invalid(`You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute ${name}`);
      if (typeof a.Required === 'boolean') existing.Required = a.Required;
      if (typeof a.Mutable === 'boolean') existing.Mutable = a.Mutable;
      if (a.StringAttributeConstraints && existing.AttributeDataType === 'String') existing.StringAttributeConstraints = a.StringAttributeConstraints as never;
      continue;
    }
    const full = a.DeveloperOnlyAttribute === true ? `dev:custom:${name}` : name.startsWith('custom:') ? name : `custom:${name}`;
    if (custom.some((c) => c.Name === full)) throw invalid(`Duplicate attribute name: ${name}`);
    if (a.Required === true) throw invalid('Required custom attributes are not supported currently.');
    const attr: SchemaAttribute = {
      Name: full,
      AttributeDataType: (type as SchemaAttribute['AttributeDataType'] | undefined) ?? 'String',
      DeveloperOnlyAttribute: a.DeveloperOnlyAttribute === true,
      Mutable: a.Mutable !== false,
      Required: false,
    };
    if (attr.AttributeDataType === 'String')
      attr.StringAttributeConstraints = (a.StringAttributeConstraints as SchemaAttribute['StringAttributeConstraints']) ?? {};
    if (attr.AttributeDataType === 'Number' && a.NumberAttributeConstraints) attr.NumberAttributeConstraints = a.NumberAttributeConstraints as never;
    custom.push(attr);
  }
  if (custom.length > 50) throw invalid('A user pool can have at most 50 custom attributes.');
  return [...std.values(), ...custom];
}

export function attributeList(attrs: Record<string, string>): Array<{ Name: string; Value: string }> {
  return Object.entries(attrs).map(([Name, Value]) => ({ Name, Value }));
}

/** Parses a UserAttributes list into a map, checking every name and value against the schema. */
export function checkAttributes(schema: SchemaAttribute[], list: unknown[] | undefined, opts: { creating: boolean }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of list ?? []) {
    const a = (raw ?? {}) as Record<string, unknown>;
    if (typeof a.Name !== 'string' || a.Name.length === 0)
      throw invalid("1 validation error detected: Value null at 'userAttributes.member.name' failed to satisfy constraint: Member must not be null");
    const name = a.Name;
    const value = typeof a.Value === 'string' ? a.Value : '';
    const def = schema.find((s) => s.Name === name);
    if (!def) throw invalid(`Attributes did not conform to the schema: ${name}: Attribute does not exist in the schema.`);
    if (name === 'sub') throw invalid('Cannot modify the non-mutable attribute sub');
    if (!opts.creating && !def.Mutable) throw invalid(`Cannot modify the non-mutable attribute ${name}`);
    if (def.AttributeDataType === 'Boolean' && value !== 'true' && value !== 'false')
      throw invalid(`Attributes did not conform to the schema: ${name}: Value must be true or false`);
    if (def.AttributeDataType === 'Number' && value !== '' && !Number.isFinite(Number(value)))
      throw invalid(`Attributes did not conform to the schema: ${name}: Number format is not valid`);
    const max = Number(def.StringAttributeConstraints?.MaxLength ?? 2048);
    const min = Number(def.StringAttributeConstraints?.MinLength ?? 0);
    if (def.AttributeDataType === 'String' && value.length > max)
      throw invalid(`Attributes did not conform to the schema: ${name}: String attribute value exceeds maximum length of ${max}`);
    if (def.AttributeDataType === 'String' && value.length > 0 && value.length < min)
      throw invalid(`Attributes did not conform to the schema: ${name}: String attribute value is shorter than minimum length of ${min}`);
    out[name] = value;
  }
  return out;
}

export function checkRequired(schema: SchemaAttribute[], attrs: Record<string, string>): void {
  for (const s of schema) {
    if (s.Required && s.Name !== 'sub' && !(s.Name in attrs))
      throw invalid(`Attributes did not conform to the schema: ${s.Name}: The attribute ${s.Name} is required`);
  }
}
