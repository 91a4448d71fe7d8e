import { BadRequestError } from './errors.js';
import { UUID_PATTERN_SOURCE } from './uuid.js';

/**
 * The parts of `/v2/schemas/image` that validation depends on, and a small JSON-Schema
 * checker that words its failures like Python's jsonschema 4.10 (which Glance uses), so the
 * 400 bodies read like Glance's. Only the keywords this schema uses are implemented.
 */

export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'null' | 'array' | 'object';

export interface SchemaNode {
  type?: JsonType | readonly JsonType[];
  enum?: readonly unknown[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: SchemaNode;
  properties?: Readonly<Record<string, SchemaNode>>;
  additionalProperties?: boolean | SchemaNode;
  required?: readonly string[];
}

export interface SchemaError {
  /** Where in the instance, like jsonschema's `error.path`. */
  path: readonly (string | number)[];
  message: string;
}

export interface FormatLists {
  disk: readonly string[];
  container: readonly string[];
}

const NULL_OR_STRING: readonly JsonType[] = ['null', 'string'];
const NULL_OR_INTEGER: readonly JsonType[] = ['null', 'integer'];

/** Property schemas in the served file's order: jsonschema reports in this order. */
export function imageSchema(formats: FormatLists): SchemaNode {
  const str: SchemaNode = { type: 'string' };
  return {
    properties: {
      id: { type: 'string', pattern: UUID_PATTERN_SOURCE },
      name: { type: NULL_OR_STRING, maxLength: 255 },
      status: {
        type: 'string',
        enum: ['queued', 'saving', 'active', 'killed', 'deleted', 'uploading', 'importing', 'pending_delete', 'deactivated'],
      },
      visibility: { type: 'string', enum: ['community', 'public', 'private', 'shared'] },
      protected: { type: 'boolean' },
      os_hidden: { type: 'boolean' },
      checksum: { type: NULL_OR_STRING, maxLength: 32 },
      os_hash_algo: { type: NULL_OR_STRING, maxLength: 64 },
      os_hash_value: { type: NULL_OR_STRING, maxLength: 128 },
      owner: { type: NULL_OR_STRING, maxLength: 255 },
      size: { type: NULL_OR_INTEGER },
      virtual_size: { type: NULL_OR_INTEGER },
      container_format: { type: NULL_OR_STRING, enum: [null, ...formats.container] },
      disk_format: { type: NULL_OR_STRING, enum: [null, ...formats.disk] },
      created_at: str,
      updated_at: str,
      tags: { type: 'array', items: { type: 'string', maxLength: 255 } },
      direct_url: str,
      min_ram: { type: 'integer' },
      min_disk: { type: 'integer' },
      self: str,
      file: str,
      stores: str,
      schema: str,
      locations: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            url: { type: 'string', maxLength: 255 },
            metadata: { type: 'object' },
            validation_data: {
              type: 'object',
              properties: {
                checksum: { type: 'string', minLength: 32, maxLength: 32 },
                os_hash_algo: { type: 'string', maxLength: 64 },
                os_hash_value: { type: 'string', maxLength: 128 },
              },
              additionalProperties: false,
              required: ['os_hash_algo', 'os_hash_value'],
            },
          },
          required: ['url', 'metadata'],
        },
      },
      // Debian's schema-image.json custom properties (is_base: false).
      kernel_id: { type: NULL_OR_STRING, pattern: UUID_PATTERN_SOURCE },
      ramdisk_id: { type: NULL_OR_STRING, pattern: UUID_PATTERN_SOURCE },
      instance_uuid: str,
      architecture: str,
      os_distro: str,
      os_version: str,
      description: str,
      cinder_encryption_key_id: str,
      cinder_encryption_key_deletion_policy: { type: 'string', enum: ['on_image_deletion', 'do_not_delete'] },
    },
    additionalProperties: { type: 'string' },
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasType(v: unknown, t: JsonType): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isPlainObject(v);
  }
}

/** Python counts code points, not UTF-16 units. */
function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Every failure, in the order jsonschema yields them (keyword order of the served schema). */
export function schemaErrors(instance: unknown, schema: SchemaNode, path: (string | number)[] = []): SchemaError[] {
  const errors: SchemaError[] = [];
  const fail = (message: string, at: (string | number)[] = path): void => {
    errors.push({ path: at, message });
  };
  if (schema.type !== undefined) {
    const types: readonly JsonType[] = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!types.some((t) => hasType(instance, t))) {
      fail(`${pyRepr(instance)} is not of type ${types.map((t) => `'${t}'`).join(', ')}`);
    }
  }
  if (schema.enum !== undefined && !schema.enum.includes(instance)) {
    fail(`${pyRepr(instance)} is not one of ${pyRepr(schema.enum)}`);
  }
  if (typeof instance === 'string') {
    if (schema.minLength !== undefined && pyLen(instance) < schema.minLength) fail(`${pyRepr(instance)} is too short`);
    if (schema.maxLength !== undefined && pyLen(instance) > schema.maxLength) fail(`${pyRepr(instance)} is too long`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(instance)) {
      fail(`${pyRepr(instance)} does not match ${pyRepr(schema.pattern)}`);
    }
  }
  if (schema.items !== undefined && Array.isArray(instance)) {
    instance.forEach((item, i) => errors.push(...schemaErrors(item, schema.items as SchemaNode, [...path, i])));
  }
  if (isPlainObject(instance)) {
    const known = schema.properties ?? {};
    for (const [key, sub] of Object.entries(known)) {
      if (Object.hasOwn(instance, key)) errors.push(...schemaErrors(instance[key], sub, [...path, key]));
    }
    const extras = Object.keys(instance).filter((k) => !Object.hasOwn(known, k));
    const ap = schema.additionalProperties;
    if (ap === false && extras.length > 0) {
      const verb = extras.length === 1 ? 'was' : 'were';
      fail(`Additional properties are not allowed (${extras.map(pyRepr).join(', ')} ${verb} unexpected)`);
    } else if (typeof ap === 'object') {
      for (const key of extras) errors.push(...schemaErrors(instance[key], ap, [...path, key]));
    }
    for (const key of schema.required ?? []) {
      if (!Object.hasOwn(instance, key)) fail(`${pyRepr(key)} is a required property`);
    }
  }
  return errors;
}

/**
 * jsonschema's `best_match`: the shallowest error wins, the first one among equals (this
 * schema has no anyOf/oneOf, so the weak/strong tie-breakers never apply).
 */
export function bestMatch(errors: readonly SchemaError[]): SchemaError | undefined {
  let best: SchemaError | undefined;
  for (const e of errors) if (best === undefined || e.path.length < best.path.length) best = e;
  return best;
}

export function schemaFailure(message: string): BadRequestError {
  return new BadRequestError(`Provided object does not match schema 'image': ${message}`, { reason: 'schema' });
}

/** 400 with Glance's wording unless `obj` satisfies the image schema. */
export function assertImageSchema(obj: Record<string, unknown>, formats: FormatLists): void {
  const best = bestMatch(schemaErrors(obj, imageSchema(formats)));
  if (best !== undefined) throw schemaFailure(best.message);
}

// ---- Python repr(), for messages that quote the offending value ----

// Python's str.isprintable() is false for categories C* and Z* except the plain space.
const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x7f || ch === ' ' || !NON_PRINTABLE.test(ch)) out += ch;
    else if (cp <= 0xff) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

function pyNumberRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  // JSON cannot tell 1e22 (a Python float) from 10000000000000000000000 (an int) once parsed;
  // beyond the safe range an exponent literal is the likelier source, so print a float.
  if (Number.isSafeInteger(n)) return String(n);
  const [mantissa = '', exp = '0'] = n.toExponential().split('e');
  const e = Number(exp);
  if (e >= -4 && e < 16) return String(n);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return pyStrRepr(v);
  if (typeof v === 'number') return pyNumberRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (isPlainObject(v)) {
    return `{${Object.entries(v)
      .map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  }
  return pyStrRepr(String(v));
}
