import type { RequestContext } from './context.js';
import { BadRequestError, ForbiddenError } from './errors.js';
import type { ImageCreateInput, Visibility } from './image.js';
import {
  assertDbIntRange,
  assertExtraKeyLength,
  assertNoFourByteUnicode,
  assertNotNegative,
  assertPropertyQuota,
  assertTagQuota,
  dedupeTags,
  isReservedKey,
  type ImageLimits,
} from './field-rules.js';
import type { Policy } from './policy.js';
import { assertImageSchema, type FormatLists } from './schema-check.js';

/** The caller-controllable fields of a new image, defaults applied. */
export interface NewImageFields {
  /** Client-supplied id, or undefined (the caller generates one and checks uniqueness). */
  id: string | undefined;
  name: string | null;
  disk_format: string | null;
  container_format: string | null;
  visibility: Visibility;
  protected: boolean;
  min_ram: number;
  min_disk: number;
  owner: string | null;
  os_hidden: boolean;
  /** Extra properties in body order. */
  properties: Record<string, string>;
  /** De-duplicated, first occurrence order. */
  tags: string[];
}

/** Deserializer `_check_allowed`: link-like keys, in this order. */
const LINK_KEYS = ['direct_url', 'self', 'file', 'schema', 'stores'] as const;

/**
 * Keys the deserializer pops as image attributes; the rest become extra properties. The hash
 * keys are added (spec §15 #2): Glance stores them as hidden extras and answers 201, we 403.
 */
const BODY_BASE_KEYS: ReadonlySet<string> = new Set([
  'checksum', 'created_at', 'container_format', 'disk_format', 'id', 'min_disk', 'min_ram', 'name',
  'size', 'virtual_size', 'status', 'tags', 'owner', 'protected', 'updated_at', 'visibility', 'os_hidden',
  'os_hash_algo', 'os_hash_value',
]);

/** Domain factory `_check_readonly` order. */
const FACTORY_READ_ONLY = [
  'created_at', 'updated_at', 'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size', 'virtual_size',
] as const;

/** Domain factory `_check_reserved` on extra properties; only `locations` is still reachable. */
const FACTORY_RESERVED = ['owner', 'locations', 'deleted', 'deleted_at', 'direct_url', 'self', 'file', 'schema'] as const;

/** Nullable custom properties: the schema allows null, but a stored extra is always a string. */
const NULLABLE_EXTRAS: ReadonlySet<string> = new Set(['kernel_id', 'ramdisk_id']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a v2 create body in Glance's order (spec v2 §5.1; first failure wins) and returns
 * the new image's fields. Not checked here: id uniqueness (needs the store) and keystone
 * unified limits (off by default).
 */
export function validateCreate(
  input: ImageCreateInput,
  ctx: RequestContext,
  policy: Policy,
  limits: ImageLimits,
  formats: FormatLists,
): NewImageFields {
  if (!isPlainObject(input)) {
    throw new BadRequestError('Unexpected body type. Expected list/dict.', { reason: 'body_type' });
  }
  policy.assertWritable(ctx);

  // #2 link-like keys
  for (const key of LINK_KEYS) {
    if (Object.hasOwn(input, key)) throw new ForbiddenError(`Attribute '${key}' is read-only.`, { reason: 'read_only' });
  }
  // #3 the whole body against the schema (types, enums, lengths, patterns, extras are strings)
  assertImageSchema(input, formats);

  const base = new Map<string, unknown>();
  const extras = new Map<string, unknown>();
  for (const [key, value] of Object.entries(input)) (BODY_BASE_KEYS.has(key) ? base : extras).set(key, value);

  // #4/#5 are one loop in Glance's deserializer, so a reserved key before a long one wins.
  for (const key of extras.keys()) {
    assertExtraKeyLength(key);
    if (isReservedKey(key)) {
      throw new ForbiddenError(`Attribute '${key}' is reserved.`, { form: 'detail', reason: 'reserved' });
    }
  }

  // #6 policy, then the legacy hard-coded owner check (an explicit null owner included).
  const owner = (base.has('owner') ? base.get('owner') : ctx.projectId) as string | null;
  const visibility = (base.get('visibility') ?? 'shared') as Visibility;
  policy.enforce('add_image', ctx, { owner });
  if (visibility === 'public') policy.enforce('publicize_image', ctx, { owner });
  if (visibility === 'community') policy.enforce('communitize_image', ctx, { owner });
  if (!ctx.isAdmin && (owner === null || owner !== ctx.projectId)) {
    throw new ForbiddenError(`You are not permitted to create images owned by '${owner ?? 'None'}'.`, {
      reason: 'owner',
    });
  }

  // #8 read-only attributes, #9 reserved extras
  for (const key of FACTORY_READ_ONLY) {
    if (base.has(key)) throw new ForbiddenError(`Attribute '${key}' is read-only.`, { reason: 'read_only' });
  }
  for (const key of FACTORY_RESERVED) {
    if (extras.has(key)) throw new ForbiddenError(`Attribute '${key}' is reserved.`, { reason: 'reserved' });
  }

  // #10 tags
  const tags = dedupeTags((base.get('tags') ?? []) as string[]);
  assertTagQuota(tags.length, limits);

  // #11 negatives (the schema already guaranteed integers)
  const minRam = (base.get('min_ram') ?? 0) as number;
  const minDisk = (base.get('min_disk') ?? 0) as number;
  assertNotNegative('min_ram', minRam);
  assertNotNegative('min_disk', minDisk);

  const properties: Record<string, string> = {};
  for (const [key, value] of extras) {
    if (value === null && NULLABLE_EXTRAS.has(key)) continue;
    // defineProperty so that a key such as "__proto__" stays an ordinary own property.
    Object.defineProperty(properties, key, { value, enumerable: true, writable: true, configurable: true });
  }

  // #12 property quota, #13 DB int range, #14 DB 4-byte check
  assertPropertyQuota(properties, limits);
  assertDbIntRange({ min_disk: minDisk, min_ram: minRam });
  const fields: NewImageFields = {
    id: base.get('id') as string | undefined,
    name: (base.get('name') ?? null) as string | null,
    disk_format: (base.get('disk_format') ?? null) as string | null,
    container_format: (base.get('container_format') ?? null) as string | null,
    visibility,
    protected: (base.get('protected') ?? false) as boolean,
    min_ram: minRam,
    min_disk: minDisk,
    // The DB layer canonicalises a falsy owner ("" from an admin) to NULL.
    owner: owner === '' ? null : owner,
    os_hidden: (base.get('os_hidden') ?? false) as boolean,
    properties,
    tags,
  };
  assertNoFourByteUnicode(fields);
  return fields;
}
