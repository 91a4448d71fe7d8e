/**
 * The core's (v2-shaped) Image as v1 shows it (spec v1 §1.4, §1.5, §7.1, §7.2): the 18-key JSON
 * object, the 6-key index item, and the `x-image-meta-*` response headers. Pure.
 */
import { DECLARED_SIZE, importFailed, type Image, type ImageStatus } from '../../core/image.js';

export const V1_STATUSES = [
  'queued', 'saving', 'active', 'killed', 'deleted', 'pending_delete', 'deactivated',
] as const;
export type V1Status = (typeof V1_STATUSES)[number];

export interface V1Image {
  checksum: string | null;
  container_format: string | null;
  created_at: string;
  deleted: boolean;
  deleted_at: string | null;
  disk_format: string | null;
  id: string;
  is_public: boolean;
  min_disk: number;
  min_ram: number;
  name: string | null;
  owner: string | null;
  properties: Record<string, string>;
  protected: boolean;
  size: number;
  status: V1Status;
  updated_at: string;
  virtual_size: number | null;
}

export type V1IndexItem = Pick<V1Image, 'id' | 'name' | 'size' | 'disk_format' | 'container_format' | 'checksum'>;

/** `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC, no zone: Python's isoformat of a naive DB datetime. */
export function v1Time(ms: number): string {
  // The core keeps milliseconds; the last three microsecond digits are always zero.
  return `${new Date(ms).toISOString().slice(0, 23)}000`;
}

/**
 * v2 → v1 status (§7.2). uploading/importing become `saving` (the recommended option): v1
 * clients poll until active or killed and know neither word. A queued image whose import
 * failed (os_glance_failed_import names a store) is `killed`, so that copy-from pollers stop.
 */
const STATUS_MAP: Readonly<Record<ImageStatus, V1Status>> = {
  queued: 'queued',
  saving: 'saving',
  active: 'active',
  killed: 'killed',
  deleted: 'deleted',
  pending_delete: 'pending_delete',
  deactivated: 'deactivated',
  uploading: 'saving',
  importing: 'saving',
};

export function v1Status(image: Pick<Image, 'status' | 'properties'>): V1Status {
  if (image.status === 'queued' && importFailed(image)) return 'killed';
  return STATUS_MAP[image.status];
}

/**
 * v2's base attribute names (§7.1) can only show up among the extras if an upstream core leaks
 * them; `location`/`deleted`/`deleted_at` are reserved by v2. None of them is a v1 property.
 */
const NOT_V1_PROPERTIES: ReadonlySet<string> = new Set([
  'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum', 'os_hash_algo', 'os_hash_value',
  'owner', 'size', 'virtual_size', 'container_format', 'disk_format', 'created_at', 'updated_at', 'tags',
  'direct_url', 'min_ram', 'min_disk', 'self', 'file', 'schema', 'locations', 'stores',
  'location', 'deleted', 'deleted_at',
]);

/**
 * Keys v1 never shows, never writes (403) and never purges: Glance's own `os_glance*`
 * bookkeeping and the names above. Tempest compares whole property dicts, so any further
 * gateway bookkeeping key must be added here.
 */
export function isV1HiddenProperty(key: string): boolean {
  return key.startsWith('os_glance') || NOT_V1_PROPERTIES.has(key);
}

export function v1Properties(image: Pick<Image, 'properties'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(image.properties)) {
    if (isV1HiddenProperty(k)) continue;
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * v2 has no size until data arrives; v1 showed 0 for a reserve (or the size it declared) and
 * tempest needs integers for every listed image (size filters, size sorting), so null is the
 * declared size or 0 whatever the status (§7.1).
 */
export function v1Size(image: Pick<Image, 'size'> & Partial<Pick<Image, 'properties'>>): number {
  if (image.size !== null) return image.size;
  const declared = image.properties?.[DECLARED_SIZE];
  return declared === undefined ? 0 : Number(declared);
}

/** The 18 keys of §1.5, alphabetical like the api-ref samples. `location` is never shown. */
export function imageToV1(image: Image): V1Image {
  return {
    checksum: image.checksum,
    container_format: image.container_format,
    created_at: v1Time(image.created_at),
    deleted: image.deleted,
    deleted_at: image.deleted_at === null ? null : v1Time(image.deleted_at),
    disk_format: image.disk_format,
    id: image.id,
    is_public: image.visibility === 'public',
    min_disk: image.min_disk,
    min_ram: image.min_ram,
    name: image.name,
    owner: image.owner,
    properties: v1Properties(image),
    protected: image.protected,
    size: v1Size(image),
    status: v1Status(image),
    updated_at: v1Time(image.updated_at),
    virtual_size: image.virtual_size,
  };
}

/** `GET /v1/images` items: these six and nothing else [T]. */
export function v1IndexItem(image: Image): V1IndexItem {
  return {
    id: image.id,
    name: image.name,
    size: v1Size(image),
    disk_format: image.disk_format,
    container_format: image.container_format,
    checksum: image.checksum,
  };
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// What Node's setHeader accepts in a value once it is a latin-1 string (no CTLs but HTAB).
const HEADER_VALUE = /^[\t\u0020-\u007e\u0080-\u00ff]*$/;

/** Node writes header strings byte-per-char; this makes the bytes UTF-8, as py2 Glance sent them. */
export function utf8AsLatin1(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

function pyBool(b: boolean): string {
  return b ? 'True' : 'False';
}

/**
 * The HEAD/GET metadata headers (§1.4), plus ETag. One header per non-null value; names are
 * lower-case (clients lower-case anyway). A property whose name is not an HTTP token, or any
 * value containing control characters (legal in v2), cannot travel in a header and is left
 * out [L]. Two properties equal but for case share one header, the later value winning, as
 * in Python's dict.
 */
export function v1MetaHeaders(image: Image): Array<[string, string]> {
  const v = imageToV1(image);
  const fields: Array<[string, string | number | boolean | null]> = [
    ['id', v.id],
    ['name', v.name],
    ['status', v.status],
    ['disk_format', v.disk_format],
    ['container_format', v.container_format],
    ['size', v.size],
    ['virtual_size', v.virtual_size],
    ['checksum', v.checksum],
    ['is_public', v.is_public],
    ['protected', v.protected],
    ['deleted', v.deleted],
    ['min_ram', v.min_ram],
    ['min_disk', v.min_disk],
    ['owner', v.owner],
    ['created_at', v.created_at],
    ['updated_at', v.updated_at],
    ['deleted_at', v.deleted_at],
  ];
  const headers = new Map<string, string>();
  const put = (name: string, value: string): void => {
    const encoded = utf8AsLatin1(value);
    if (HEADER_VALUE.test(encoded)) headers.set(name, encoded);
  };
  for (const [field, value] of fields) {
    if (value === null) continue;
    put(`x-image-meta-${field}`, typeof value === 'boolean' ? pyBool(value) : String(value));
  }
  for (const [name, value] of Object.entries(v.properties)) {
    // Test the original name: toLowerCase can turn a non-token (the Kelvin sign) into ASCII.
    if (TOKEN.test(name)) put(`x-image-meta-property-${name.toLowerCase()}`, value);
  }
  const out = [...headers];
  if (v.checksum !== null && HEADER_VALUE.test(v.checksum)) out.push(['ETag', v.checksum]);
  return out;
}
