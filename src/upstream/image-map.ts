import { BadGatewayError } from '../core/errors.js';
import { IMAGE_STATUSES, VISIBILITIES, type Image, type ImageLocation, type ImageStatus, type Visibility } from '../core/image.js';
import { MEMBER_STATUSES, type Member, type MemberStatus } from '../core/member.js';
import type { PatchOp } from '../core/patch.js';
import type { Task, TaskStatus } from '../core/task.js';

/** Keys of a v2 image document that are not extra properties. */
const NOT_PROPERTIES: ReadonlySet<string> = new Set([
  'id', 'name', 'disk_format', 'container_format', 'visibility', 'size', 'virtual_size', 'status', 'checksum',
  'protected', 'min_ram', 'min_disk', 'owner', 'os_hidden', 'os_hash_algo', 'os_hash_value', 'created_at',
  'updated_at', 'tags', 'self', 'file', 'schema', 'locations', 'direct_url', 'stores',
]);

type Json = Record<string, unknown>;

const bad = (what: string): BadGatewayError =>
  new BadGatewayError(`The upstream image service sent an invalid ${what}.`, { reason: 'upstream_garbage' });

/** Glance's `2016-05-10T21:41:41Z` (or with fractions / offset) as epoch ms. */
export function parseTime(v: unknown, what: string): number {
  if (typeof v !== 'string') throw bad(what);
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
  if (Number.isNaN(ms)) throw bad(what);
  return ms;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A v2 image document as the core's Image record; anything malformed is a 502. */
export function imageFromGlance(raw: unknown): Image {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('image');
  const j = raw as Json;
  if (typeof j.id !== 'string') throw bad('image (no id)');
  const status = j.status as ImageStatus;
  if (!IMAGE_STATUSES.includes(status)) throw bad('image status');
  const visibility = j.visibility as Visibility;
  if (!VISIBILITIES.includes(visibility)) throw bad('image visibility');
  // A null prototype: `__proto__` is an ordinary property name here.
  const properties = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(j)) {
    if (NOT_PROPERTIES.has(k)) continue;
    properties[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  const locations: ImageLocation[] = Array.isArray(j.locations)
    ? (j.locations as Json[]).filter((l) => typeof l?.url === 'string').map((l) => ({
        url: l.url as string,
        metadata: typeof l.metadata === 'object' && l.metadata !== null ? (l.metadata as Json) : {},
        status: 'active' as const,
      }))
    : [];
  return {
    id: j.id,
    name: str(j.name),
    disk_format: str(j.disk_format),
    container_format: str(j.container_format),
    visibility,
    size: num(j.size),
    virtual_size: num(j.virtual_size),
    status,
    checksum: str(j.checksum),
    protected: j.protected === true,
    min_ram: num(j.min_ram) ?? 0,
    min_disk: num(j.min_disk) ?? 0,
    owner: str(j.owner),
    os_hidden: j.os_hidden === true,
    os_hash_algo: str(j.os_hash_algo),
    os_hash_value: str(j.os_hash_value),
    created_at: parseTime(j.created_at, 'image created_at'),
    updated_at: parseTime(j.updated_at, 'image updated_at'),
    deleted: false,
    deleted_at: null,
    properties,
    tags: Array.isArray(j.tags) ? (j.tags as unknown[]).filter((t): t is string => typeof t === 'string') : [],
    locations,
    stores: typeof j.stores === 'string' && j.stores !== '' ? j.stores.split(',') : [],
  };
}

export function memberFromGlance(raw: unknown): Member {
  if (typeof raw !== 'object' || raw === null) throw bad('member');
  const j = raw as Json;
  const status = j.status as MemberStatus;
  if (typeof j.member_id !== 'string' || typeof j.image_id !== 'string' || !MEMBER_STATUSES.includes(status)) throw bad('member');
  return {
    image_id: j.image_id,
    member_id: j.member_id,
    status,
    created_at: parseTime(j.created_at, 'member created_at'),
    updated_at: parseTime(j.updated_at, 'member updated_at'),
  };
}

const TASK_STATUSES: readonly TaskStatus[] = ['pending', 'processing', 'success', 'failure'];

export function taskFromGlance(raw: unknown): Task {
  if (typeof raw !== 'object' || raw === null) throw bad('task');
  const j = raw as Json;
  if (typeof j.id !== 'string' || !TASK_STATUSES.includes(j.status as TaskStatus)) throw bad('task');
  const obj = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null ? (v as Json) : null);
  return {
    id: j.id,
    type: str(j.type) ?? 'api_image_import',
    status: j.status as TaskStatus,
    owner: str(j.owner),
    image_id: str(j.image_id),
    user_id: str(j.user_id),
    request_id: str(j.request_id),
    input: obj(j.input),
    result: obj(j.result),
    message: str(j.message) ?? '',
    created_at: parseTime(j.created_at, 'task created_at'),
    updated_at: parseTime(j.updated_at, 'task updated_at'),
    expires_at: j.expires_at === null || j.expires_at === undefined ? null : parseTime(j.expires_at, 'task expires_at'),
    deleted: false,
    deleted_at: null,
  };
}

/** RFC 6901 pointer from decoded tokens. */
function pointer(path: string[]): string {
  return '/' + path.map((t) => t.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

export const PATCH_21 = 'application/openstack-images-v2.1-json-patch';
export const PATCH_20 = 'application/openstack-images-v2.0-json-patch';

/**
 * Core patch operations as a json-patch body. The v2.1 media type unless an op needs the strict
 * v2.0 `add` (which refuses an existing key with 409); a mixed list is sent as v2.0 too, since
 * every other op means the same in both dialects (v2.0 names the op as the pointer's key).
 */
export function patchBody(ops: readonly PatchOp[]): { contentType: string; body: string } {
  const strict = ops.some((o) => o.op === 'add' && o.strictAdd);
  const body = ops.map((o) => {
    const out: Json = strict ? { [o.op]: pointer(o.path) } : { op: o.op, path: pointer(o.path) };
    if (o.hasValue) out.value = o.value;
    return out;
  });
  return { contentType: strict ? PATCH_20 : PATCH_21, body: JSON.stringify(body) };
}
