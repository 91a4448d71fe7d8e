import jsonpatch from 'fast-json-patch';
import type { RequestContext } from './context.js';
import { BadRequestError, ConflictError, ForbiddenError } from './errors.js';
import type { Image } from './image.js';
import type { PatchOp } from './patch.js';
import type { Policy } from './policy.js';
import { assertImageSchema, type FormatLists } from './schema-check.js';
import { formatsMutable } from './state.js';
import {
  assertDbIntRange,
  assertExtraKeyLength,
  assertNoFourByteUnicode,
  assertNotNegative,
  assertPropertyQuota,
  assertTagQuota,
  dedupeTags,
  isReservedKey,
  PATCH_READ_ONLY,
  WRITABLE_BASE,
  type ImageLimits,
} from './field-rules.js';

/**
 * Applies `/locations` ops to the draft (which it may change: locations, status, size, ...).
 * The default refuses them all, as Glance does with show_multiple_locations=False.
 */
export type LocationOpHandler = (op: PatchOp, draft: Image, ctx: RequestContext) => void;

export interface PatchOptions {
  locations?: LocationOpHandler;
}

const LOCATION_VERBS = { add: 'add', remove: 'remove', replace: 'update' } as const;

export const invisibleLocations: LocationOpHandler = (op) => {
  throw new ForbiddenError(`It's not allowed to ${LOCATION_VERBS[op.op]} locations if locations are invisible.`, {
    reason: 'locations_invisible',
  });
};

const NOT_OWNER = 'You do not own this image';

/** The patched document: writable attributes and extra properties side by side, null prototype. */
type Doc = Record<string, unknown>;

function pointer(key: string): string {
  return `/${jsonpatch.escapePathComponent(key)}`;
}

// validate=false: Glance's rules below decide; banPrototypeModifications=false is safe because
// the document has no prototype, so "__proto__" is just another property name.
function mutate(doc: Doc, op: 'add' | 'replace' | 'remove', key: string, value?: unknown): void {
  const path = pointer(key);
  const operation = op === 'remove' ? { op, path } : { op, path, value };
  jsonpatch.applyOperation(doc, operation, false, true, false);
}

function toDoc(image: Image): Doc {
  const doc: Doc = Object.create(null) as Doc;
  for (const key of WRITABLE_BASE) doc[key] = key === 'tags' ? [...image.tags] : image[key as keyof Image];
  for (const [key, value] of Object.entries(image.properties)) doc[key] = value;
  return doc;
}

function fromDoc(doc: Doc, draft: Image): Image {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (WRITABLE_BASE.has(key)) continue;
    Object.defineProperty(properties, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return {
    ...draft,
    name: doc.name as Image['name'],
    disk_format: doc.disk_format as Image['disk_format'],
    container_format: doc.container_format as Image['container_format'],
    visibility: doc.visibility as Image['visibility'],
    protected: doc.protected as boolean,
    min_ram: doc.min_ram as number,
    min_disk: doc.min_disk as number,
    owner: doc.owner as Image['owner'],
    os_hidden: doc.os_hidden as boolean,
    tags: doc.tags as string[],
    properties,
  };
}

function invalidPointer(path: readonly string[]): BadRequestError {
  return new BadRequestError(`Invalid JSON pointer for this resource: '/${path.join('/')}'`, { reason: 'pointer' });
}

/**
 * What Glance's deserializer checks for each op before anything is applied: pointer depth,
 * value presence, read-only/reserved roots, the schema of `{root: value}`.
 */
function checkStatically(op: PatchOp, formats: FormatLists): void {
  const root = op.path[0];
  // Like Glance, `/` addresses the property "" (spec §15 #10): create accepts that key too.
  if (root === undefined) throw invalidPointer(op.path);
  const depth = root === 'locations' && op.op !== 'replace' ? 2 : 1;
  if (op.path.length !== depth) throw invalidPointer(op.path);
  if (op.op !== 'remove' && !op.hasValue) {
    throw new BadRequestError(`Operation "${op.op}" requires a member named "value".`, { reason: 'no_value' });
  }
  if (PATCH_READ_ONLY.has(root)) throw new ForbiddenError(`Attribute '${root}' is read-only.`, { reason: 'read_only' });
  if (isReservedKey(root)) throw new ForbiddenError(`Attribute '${root}' is reserved.`, { reason: 'reserved' });
  if (op.op === 'remove') return;
  const value = depth === 2 ? [op.value] : op.value;
  assertImageSchema(Object.fromEntries([[root, value]]), formats);
  // Glance only checks the key length on create (spec §15 #3); a PATCH must not bypass it.
  if (!WRITABLE_BASE.has(root) && root !== 'locations') assertExtraKeyLength(root);
}

/** Glance's `_do_add` / `_do_replace` / `_do_remove`, in its order of checks. */
function applyOne(
  op: PatchOp,
  doc: Doc,
  draft: Image,
  original: Image,
  ctx: RequestContext,
  policy: Policy,
  limits: ImageLimits,
  locations: LocationOpHandler,
): void {
  const root = op.path[0] as string;
  const target = { owner: original.owner };
  if (root === 'locations') {
    const value = op.value;
    if (op.op === 'replace' && (!value || (Array.isArray(value) && value.length === 0))) {
      throw new ForbiddenError('Cannot set locations to empty list.', { form: 'detail', reason: 'locations_empty' });
    }
    policy.enforce(op.op === 'remove' ? 'delete_image_location' : 'set_image_location', ctx, target);
    policy.assertOwnerOrAdmin(original, ctx, NOT_OWNER);
    locations(op, draft, ctx);
    return;
  }
  // Glance answers a non-admin `add /owner` with a misleading "not visible" (spec §15 #15).
  if (root === 'owner' && op.op !== 'remove' && !ctx.isAdmin) {
    throw new ForbiddenError("Owner can't be updated by non admin.", { form: 'detail', reason: 'owner' });
  }
  if (root === 'visibility' && op.op !== 'remove') {
    if (op.value === 'public') policy.enforce('publicize_image', ctx, target);
    if (op.value === 'community') policy.enforce('communitize_image', ctx, target);
  }
  policy.enforce('modify_image', ctx, target);
  policy.assertOwnerOrAdmin(original, ctx, NOT_OWNER);

  const isBase = WRITABLE_BASE.has(root);
  const exists = isBase || Object.hasOwn(doc, root);
  if (op.op === 'remove') {
    if (isBase) throw new ForbiddenError(`Property ${root} may not be removed.`, { form: 'detail', reason: 'not_removable' });
    if (!exists) throw new ConflictError(`Property ${root} does not exist.`, { form: 'detail', reason: 'no_property' });
    mutate(doc, 'remove', root);
    return;
  }
  if (op.op === 'replace' && !exists) {
    throw new ConflictError(`Property ${root} does not exist.`, { form: 'detail', reason: 'no_property' });
  }
  if (op.op === 'add' && op.strictAdd && exists) {
    throw new ConflictError(`Property ${root} already present.`, { form: 'detail', reason: 'property_present' });
  }
  if (isBase) setAttribute(root, op.value, doc, draft, limits);
  else if (op.value === null) {
    // Only kernel_id/ramdisk_id accept null; a stored extra is always a string, so null = absent.
    if (Object.hasOwn(doc, root)) mutate(doc, 'remove', root);
  } else mutate(doc, 'add', root, op.value);
}

/** The domain setters' own rules for the writable attributes. */
function setAttribute(key: string, value: unknown, doc: Doc, draft: Image, limits: ImageLimits): void {
  let next = value;
  if (key === 'disk_format' || key === 'container_format') {
    // Glance refuses even an unchanged value once the image has data.
    if (!formatsMutable(draft.status)) {
      throw new ForbiddenError(`Attribute ${key} can be only replaced for a queued image.`, { reason: 'format_locked' });
    }
  } else if (key === 'min_ram' || key === 'min_disk') {
    assertNotNegative(key, value as number);
  } else if (key === 'tags') {
    next = dedupeTags(value as string[]);
    assertTagQuota((next as string[]).length, limits);
  } else if (key === 'owner' && value === '') {
    next = null; // the DB layer stores a falsy owner as NULL
  }
  mutate(doc, 'replace', key, next);
}

/**
 * Applies a PATCH to a copy of `image`, all or nothing (spec v2 §3.2, §5.4.3). The caller has
 * already answered 404 for an invisible image; ownership is checked here, per op, because
 * Glance reports schema/read-only errors of any op before it. `updated_at` is left alone;
 * `changed` is true whenever there was at least one op (Glance saves, and bumps the
 * timestamp, even if every value was already set).
 */
export function applyPatch(
  image: Image,
  ops: readonly PatchOp[],
  ctx: RequestContext,
  policy: Policy,
  limits: ImageLimits,
  formats: FormatLists,
  options: PatchOptions = {},
): { image: Image; changed: boolean } {
  policy.assertWritable(ctx);
  for (const op of ops) checkStatically(op, formats);
  const draft = structuredClone(image);
  if (ops.length === 0) return { image: draft, changed: false };

  const doc = toDoc(image);
  const locations = options.locations ?? invisibleLocations;
  for (const op of ops) applyOne(op, doc, draft, image, ctx, policy, limits, locations);

  const result = fromDoc(doc, draft);
  // What the repository's save() checks, in its order: quota (only when a key was added),
  // then the DB layer's int range and 4-byte checks.
  if (Object.keys(result.properties).some((k) => !Object.hasOwn(image.properties, k))) {
    assertPropertyQuota(result.properties, limits);
  }
  assertDbIntRange(result);
  assertNoFourByteUnicode(result);
  return { image: result, changed: true };
}
