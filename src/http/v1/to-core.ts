/**
 * Parsed v1 metadata → inputs of the core's createImage / updateImage (spec v1 §3.3, §3.6,
 * §7.1, §7.3). Pure: the caller loads the current image and calls the core; the core applies
 * policy (publicize_image, ownership), v2's schema, quotas and the format lock.
 *
 * v1 fields with no v2 counterpart are not mapped here: size/checksum/location/copy-from/store
 * drive the data step of the route; virtual_size, created_at, updated_at, deleted_at, deleted,
 * uri and the copy_from *field* are accepted and ignored [L].
 */
import type { RequestContext } from '../../core/context.js';
import { ForbiddenError } from '../../core/errors.js';
import type { Image, ImageCreateInput } from '../../core/image.js';
import type { PatchOp } from '../../core/patch.js';
import { assertV1ImageId, type V1FieldName, type V1ImageMeta } from './meta-headers.js';
import { isV1HiddenProperty, v1Size, v1Status } from './render.js';

/** §3.6 step 5: purge unless the header says otherwise, and never when data is uploaded. */
export function shouldPurge(meta: V1ImageMeta, hasBody: boolean): boolean {
  return (meta.purgeProps ?? true) && !hasBody;
}

/**
 * v2 cannot store these as extra properties (base attribute, reserved, or v2 bookkeeping);
 * written as a v1 property they would even change the attribute of that name [L].
 */
function assertWritableProperties(meta: V1ImageMeta): void {
  for (const key of Object.keys(meta.properties)) {
    if (isV1HiddenProperty(key)) throw new ForbiddenError(`Property '${key}' is protected`, { reason: 'reserved' });
  }
}

function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Fields copied verbatim when present (null included: v2 accepts a null name). */
const CREATE_FIELDS = ['name', 'disk_format', 'container_format', 'protected', 'min_ram', 'min_disk'] as const;

/**
 * The v2 create body. Decisions (§7.1 [L]):
 * - visibility is always explicit: is_public true → public (the core enforces publicize_image),
 *   false or absent → shared, as Queens stored it, so that v1 members can be added later;
 * - owner only from admins (an empty header = ownerless); anyone else's is dropped, so the core
 *   makes the caller's project the owner, as v1 did silently;
 * - a property sent with an empty value (v1 null) is not created: v1 never showed null
 *   properties in its headers, so "absent" is what HEAD clients saw;
 * - an empty id header means "no id" (generate one).
 */
export function createInputFromV1(meta: V1ImageMeta, ctx: RequestContext): ImageCreateInput {
  assertWritableProperties(meta);
  assertV1ImageId(meta);
  const f = meta.fields;
  const body: ImageCreateInput = {};
  // Extras first, base attributes last: a property can never shadow an attribute.
  for (const [key, value] of Object.entries(meta.properties)) if (value !== null) defineKey(body, key, value);
  if (f.id !== undefined && f.id !== null) body.id = f.id;
  for (const key of CREATE_FIELDS) if (Object.hasOwn(f, key)) body[key] = f[key];
  body.visibility = f.is_public === true ? 'public' : 'shared';
  if (ctx.isAdmin && Object.hasOwn(f, 'owner')) body.owner = f.owner ?? null;
  return body;
}

function op(kind: 'add' | 'replace', key: string, value: unknown): PatchOp {
  return { op: kind, path: [key], value, hasValue: true, strictAdd: false };
}

function removeOp(key: string): PatchOp {
  return { op: 'remove', path: [key], hasValue: false, strictAdd: false };
}

/** §3.6 steps 3–4, in Glance's order. */
function assertModifiable(current: Image, meta: V1ImageMeta, ctx: RequestContext): void {
  const f = meta.fields;
  if (current.status === 'deleted') throw new ForbiddenError('Forbidden to update deleted image.', { reason: 'deleted' });
  const status = v1Status(current);
  // A same value is accepted and ignored; a null (empty header) is never compared.
  const differs = (key: V1FieldName, now: unknown): boolean => f[key] !== undefined && f[key] !== null && f[key] !== now;
  if (!ctx.isAdmin && (status === 'active' || status === 'deactivated')) {
    for (const [key, now] of [['size', v1Size(current)], ['checksum', current.checksum]] as const) {
      if (differs(key, now)) {
        throw new ForbiddenError(`Forbidden to modify '${key}' of active image.`, { reason: 'immutable' });
      }
    }
  }
  for (const [key, now] of [['status', status], ['id', current.id]] as const) {
    if (differs(key, now)) throw new ForbiddenError(`Forbidden to modify '${key}' of image.`, { reason: 'immutable' });
  }
}

/** Core fields replaced only when they change: v2 refuses even a same-value format change. */
const UPDATE_FIELDS = ['name', 'disk_format', 'container_format', 'min_ram', 'min_disk', 'protected'] as const;

/**
 * The PATCH of `PUT /v1/images/{id}` (§3.6 steps 3–4 and 10). Decisions (§7.1 [L]):
 * - is_public true → `replace /visibility public` even when already public, so the core
 *   enforces publicize_image exactly as v1 did for every is_public=true; false → `shared` only
 *   for a public image (private/community/shared stay as they are);
 * - owner: admins only, replaced when it changes; silently dropped for everyone else;
 * - properties: add (new) / replace (changed); an empty value (v1 null) removes the property;
 *   with `purge`, every visible property not named in the request is removed; hidden and
 *   reserved keys (os_glance_*, …) are never named, never removed;
 * - tags and os_hidden are invisible to v1 and never touched.
 * Throws ForbiddenError for the §3.6 step 3/4 checks and for unwritable property names.
 */
export function patchOpsFromV1(current: Image, meta: V1ImageMeta, ctx: RequestContext, purge: boolean): PatchOp[] {
  assertModifiable(current, meta, ctx);
  assertWritableProperties(meta);
  const f = meta.fields;
  const ops: PatchOp[] = [];
  for (const key of UPDATE_FIELDS) {
    if (Object.hasOwn(f, key) && f[key] !== current[key]) ops.push(op('replace', key, f[key]));
  }
  if (f.is_public === true) ops.push(op('replace', 'visibility', 'public'));
  else if (f.is_public === false && current.visibility === 'public') ops.push(op('replace', 'visibility', 'shared'));
  if (ctx.isAdmin && Object.hasOwn(f, 'owner')) {
    // The DB stores a falsy owner as NULL, so "" and null are the same owner.
    const owner = f.owner === '' || f.owner === undefined ? null : f.owner;
    if (owner !== current.owner) ops.push(op('replace', 'owner', owner));
  }

  const existing = current.properties;
  for (const [key, value] of Object.entries(meta.properties)) {
    const has = Object.hasOwn(existing, key);
    if (value === null) {
      if (has) ops.push(removeOp(key));
    } else if (!has) ops.push(op('add', key, value));
    else if (existing[key] !== value) ops.push(op('replace', key, value));
  }
  if (purge) {
    for (const key of Object.keys(existing)) {
      if (!isV1HiddenProperty(key) && !Object.hasOwn(meta.properties, key)) ops.push(removeOp(key));
    }
  }
  return ops;
}
