import { BadRequestError, PayloadTooLargeError } from './errors.js';
import type { Image } from './image.js';
import { MEMBER_STATUSES, type MemberStatus } from './member.js';
import { bestMatch, pyRepr, schemaErrors, schemaFailure } from './schema-check.js';

/**
 * Rules shared by create (create-rules.ts), PATCH (patch-rules.ts) and the tag/member
 * endpoints: property classes, quotas, the DB layer's range and 4-byte checks.
 */

/** `image_*_quota` options; a negative value means unlimited. */
export interface ImageLimits {
  propertyQuota: number;
  tagQuota: number;
  memberQuota: number;
  locationQuota: number;
}

/** Column attributes a caller may set (owner only as admin on PATCH); everything else is extra. */
export const WRITABLE_BASE: ReadonlySet<string> = new Set([
  'name', 'disk_format', 'container_format', 'visibility', 'protected',
  'min_ram', 'min_disk', 'owner', 'os_hidden', 'tags',
]);

/**
 * Never writable through PATCH. `stores` is added here although Glance treats it as an extra
 * property on PATCH: stored that way it would collide with the multi-store `stores` key.
 */
export const PATCH_READ_ONLY: ReadonlySet<string> = new Set([
  'created_at', 'updated_at', 'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size',
  'virtual_size', 'direct_url', 'self', 'file', 'schema', 'id', 'stores',
]);

/** Glance keeps its own bookkeeping under this prefix; clients may not touch it. */
export const RESERVED_NAMESPACE = 'os_glance';
const RESERVED_KEYS: ReadonlySet<string> = new Set(['location', 'deleted', 'deleted_at']);

export function isReservedKey(key: string): boolean {
  return RESERVED_KEYS.has(key) || key.startsWith(RESERVED_NAMESPACE);
}

export const EXTRA_KEY_MAX_LENGTH = 255;
/** The DB columns are 4-byte signed ints. */
export const MAX_DB_INT = 2147483647;

export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function assertExtraKeyLength(key: string): void {
  if (codePointLength(key) > EXTRA_KEY_MAX_LENGTH) {
    throw new BadRequestError('Custom property should not be greater than 255 characters.', { reason: 'key_too_long' });
  }
}

/** Domain setter check; the value is quoted like Python's `'%s' % value`. */
export function assertNotNegative(param: 'min_ram' | 'min_disk', value: number): void {
  if (value < 0) {
    throw new BadRequestError(`Invalid value '${pyRepr(value)}' for parameter '${param}': Cannot be a negative value`, {
      reason: 'negative_value',
    });
  }
}

/** DB-layer range check; Glance checks min_disk before min_ram. */
export function assertDbIntRange(fields: { min_disk: number; min_ram: number }): void {
  for (const param of ['min_disk', 'min_ram'] as const) {
    if (fields[param] > MAX_DB_INT) {
      throw new BadRequestError(`'${param}' value out of range, must not exceed ${MAX_DB_INT}.`, {
        reason: 'out_of_range',
      });
    }
  }
}

function quotaExceeded(what: string, attempted: number, maximum: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `The limit has been exceeded on the number of allowed image ${what}. Attempted: ${attempted}, Maximum: ${maximum}`,
    { reason: 'quota' },
  );
}

export function assertTagQuota(tagCount: number, limits: ImageLimits): void {
  if (limits.tagQuota >= 0 && tagCount > limits.tagQuota) throw quotaExceeded('tags', tagCount, limits.tagQuota);
}

/** Glance's own os_glance_* bookkeeping does not count against the caller's quota. */
export function assertPropertyQuota(properties: Readonly<Record<string, string>>, limits: ImageLimits): void {
  if (limits.propertyQuota < 0) return;
  const count = Object.keys(properties).filter((k) => !k.startsWith(RESERVED_NAMESPACE)).length;
  if (count > limits.propertyQuota) throw quotaExceeded('properties', count, limits.propertyQuota);
}

/** Stable de-duplication: first occurrence wins. */
export function dedupeTags(tags: readonly string[]): string[] {
  return [...new Set(tags)];
}

// Characters outside the BMP are 4 bytes in UTF-8; MySQL's utf8 columns cannot hold them.
const FOUR_BYTE = /[\u{10000}-\u{10FFFF}]/u;

export function hasFourByteChars(s: string): boolean {
  return FOUR_BYTE.test(s);
}

/** Python's str.title(): upper-case a letter that follows a non-letter, lower-case the rest. */
export function pyTitle(s: string): string {
  let out = '';
  let prevCased = false;
  for (const ch of s) {
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    const cased = lower !== upper;
    out += cased ? (prevCased ? lower : upper) : ch;
    prevCased = cased;
  }
  return out;
}

function fourByteValue(key: string): BadRequestError {
  return new BadRequestError(`${pyTitle(key)} can't contain 4 byte unicode characters.`, { reason: 'four_byte' });
}

/**
 * The DB layer's check, in the order Glance hands the row over: name, owner, then each
 * property (name before value). Tags are not covered by Glance's decorator; we refuse them too
 * so every stored string survives a utf8 (3-byte) MySQL schema.
 */
export function assertNoFourByteUnicode(
  fields: Pick<Image, 'name' | 'owner' | 'properties' | 'tags'>,
): void {
  if (fields.name !== null && hasFourByteChars(fields.name)) throw fourByteValue('name');
  if (fields.owner !== null && hasFourByteChars(fields.owner)) throw fourByteValue('owner');
  for (const [key, value] of Object.entries(fields.properties)) {
    if (hasFourByteChars(key)) {
      throw new BadRequestError("Property names can't contain 4 byte unicode.", { reason: 'four_byte' });
    }
    if (hasFourByteChars(value)) throw fourByteValue(key);
  }
  if (fields.tags.some(hasFourByteChars)) throw fourByteValue('tags');
}

/** PUT /tags/{tag}: the tag is validated as an item of the schema's `tags` array. */
export function validateTag(tag: unknown): string {
  const best = bestMatch(schemaErrors(tag, { type: 'string', maxLength: 255 }));
  if (best !== undefined) throw schemaFailure(best.message);
  return tag as string;
}

export function validateMemberStatus(status: unknown): MemberStatus {
  if (typeof status === 'string' && (MEMBER_STATUSES as readonly string[]).includes(status)) {
    return status as MemberStatus;
  }
  throw new BadRequestError('Incorrect request: Status must be "pending", "accepted" or "rejected".', {
    reason: 'invalid_member_status',
  });
}
