/**
 * `x-image-meta-*` request headers → V1ImageMeta (spec v1 §1.3, §2), with Glance Queens'
 * exact 400 messages and in its order: bad header name, integers (size, min_disk, min_ram,
 * virtual_size), formats and the amazon rule, name length, checksum length, size cap, then the
 * registry's time checks and the DB layer's int range. Pure: no policy, no image lookup.
 *
 * Repeated headers: the last occurrence wins (also across `-`/`_` spellings of one field).
 * Real v1 joined repeats with "," (eventlet); no client sends repeats, and "last wins" keeps
 * one header = one value.
 */
import { BadRequestError } from '../../core/errors.js';
import { isUuid } from '../../core/uuid.js';
import { parseIsoTime, parsePythonInt } from '../v2/list-query.js';

/** The field value types once parsed. `null` = the header was sent with an empty value. */
export interface V1FieldValues {
  id: string | null;
  name: string | null;
  // An empty format header is a 400 ('None' is not a format), so formats are never null.
  disk_format: string;
  container_format: string;
  // An empty integer header is a 400 too; only virtual_size accepts null (as `None`/empty).
  size: number;
  checksum: string | null;
  min_ram: number;
  min_disk: number;
  is_public: boolean;
  protected: boolean;
  owner: string | null;
  location: string | null;
  store: string | null;
  status: string | null;
  virtual_size: number | null;
  /** Epoch milliseconds; validated, then ignored by create and update (spec §2). */
  created_at: number | null;
  updated_at: number | null;
  deleted_at: number | null;
  deleted: boolean;
  copy_from: string | null;
  uri: string | null;
}
export type V1FieldName = keyof V1FieldValues;

export interface V1ImageMeta {
  /**
   * Only the fields that were sent. A key present with `null` (empty header) is different from
   * an absent key: test with `hasField`, never with `=== undefined` on the value alone.
   */
  fields: Partial<V1FieldValues>;
  /** Null prototype; names lower-cased, `-` → `_`; `null` = empty header value. */
  properties: Record<string, string | null>;
  /** `x-glance-registry-purge-props` (lenient bool); undefined = header absent (v1 default: purge). */
  purgeProps: boolean | undefined;
  /** `x-glance-api-copy-from`, verbatim (an empty value is kept: the route words that error). */
  copyFrom: string | undefined;
}

export interface MetaHeaderOptions {
  diskFormats: readonly string[];
  containerFormats: readonly string[];
  /** `image_size_cap` in bytes. */
  imageSizeCap: number;
}

export const V1_FIELD_NAMES: readonly V1FieldName[] = [
  'location', 'size', 'is_public', 'disk_format', 'container_format', 'name', 'status', 'copy_from', 'uri',
  'checksum', 'created_at', 'updated_at', 'deleted_at', 'min_ram', 'min_disk', 'owner', 'store', 'id',
  'protected', 'deleted', 'virtual_size',
];
const WHITELIST: ReadonlySet<string> = new Set(V1_FIELD_NAMES);

const META = 'x-image-meta-';
const PROPERTY = 'x-image-meta-property-';
const PURGE = 'x-glance-registry-purge-props';
const COPY_FROM = 'x-glance-api-copy-from';

const INT_FIELDS = ['size', 'min_disk', 'min_ram', 'virtual_size'] as const;
const BOOL_FIELDS = ['is_public', 'deleted', 'protected'] as const;
const TIME_FIELDS = ['created_at', 'updated_at', 'deleted_at'] as const;
const AMAZON_FORMATS: ReadonlySet<string> = new Set(['aki', 'ari', 'ami']);
const MAX_DB_INT = 2147483647;

const TRUE_STRINGS: ReadonlySet<string> = new Set(['1', 't', 'true', 'on', 'y', 'yes']);

/** oslo `bool_from_string(v, strict=False)`: anything unrecognised (garbage, `None`, '') is false. */
export function lenientBool(value: string | null): boolean {
  return value !== null && TRUE_STRINGS.has(value.trim().toLowerCase());
}

export function hasField(meta: V1ImageMeta, field: V1FieldName): boolean {
  return Object.hasOwn(meta.fields, field);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Node hands header values over latin-1 decoded; v1 clients (py2) sent UTF-8 bytes. Bytes that
 * are not valid UTF-8 keep their latin-1 reading, which is what such a client most likely meant.
 */
export function redecodeLatin1(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value)) return value;
  try {
    return UTF8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

/** Python 3 `len()`: code points, not UTF-16 units. */
function pyLen(s: string): number {
  return [...s].length;
}

function bad(message: string): BadRequestError {
  return new BadRequestError(message);
}

/** Python's `str(int(v))` for a string that parsePythonInt accepted (exact beyond 2^53). */
function pyIntText(raw: string): string {
  return BigInt(raw.trim().replace(/_/g, '')).toString();
}

function parseIntField(field: (typeof INT_FIELDS)[number], raw: string | null): number | null {
  // Queens crashed (500) on an empty size/min_*; we answer 400, quoting the null as Python prints it.
  if (raw === null) {
    if (field === 'virtual_size') return null;
    raw = 'None';
  }
  const n = parsePythonInt(raw);
  if (n === null) {
    if (field === 'virtual_size' && raw === 'None') return null;
    throw bad(`Invalid value '${raw}' for parameter '${field}': Cannot convert image ${field} '${raw}' to an integer.`);
  }
  if (n < 0) throw bad(`Invalid value '${pyIntText(raw)}' for parameter '${field}': Cannot be a negative value.`);
  return n;
}

function defineKey<T>(target: Record<string, T>, key: string, value: T): void {
  // A client-chosen name such as "__proto__" must stay an ordinary own key.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

interface RawMeta {
  fields: Map<V1FieldName, string | null>;
  properties: Record<string, string | null>;
  purge: string | undefined;
  copyFrom: string | undefined;
  contentLength: string | undefined;
}

function collect(rawHeaders: readonly string[]): RawMeta {
  const out: RawMeta = {
    fields: new Map(),
    properties: Object.create(null) as Record<string, string | null>,
    purge: undefined,
    copyFrom: undefined,
    contentLength: undefined,
  };
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = redecodeLatin1(rawHeaders[i + 1] as string);
    if (name.startsWith(PROPERTY)) {
      defineKey(out.properties, name.slice(PROPERTY.length).replace(/-/g, '_'), value === '' ? null : value);
    } else if (name.startsWith(META)) {
      const field = name.slice(META.length).replace(/-/g, '_');
      if (!WHITELIST.has(field)) throw bad(`Bad header: ${name}`);
      out.fields.set(field as V1FieldName, value === '' ? null : value);
    } else if (name === PURGE) {
      out.purge = value;
    } else if (name === COPY_FROM) {
      out.copyFrom = value;
    } else if (name === 'content-length') {
      out.contentLength = value;
    }
  }
  return out;
}

function checkFormats(fields: Partial<V1FieldValues>, raw: RawMeta['fields'], options: MetaHeaderOptions): void {
  if (raw.has('disk_format')) {
    const v = raw.get('disk_format') ?? null;
    if (v === null || !options.diskFormats.includes(v)) throw bad(`Invalid disk format '${v ?? 'None'}' for image.`);
    fields.disk_format = v;
  }
  if (raw.has('container_format')) {
    const v = raw.get('container_format') ?? null;
    if (v === null || !options.containerFormats.includes(v)) {
      throw bad(`Invalid container format '${v ?? 'None'}' for image.`);
    }
    fields.container_format = v;
  }
  const disk = fields.disk_format;
  const container = fields.container_format;
  if ((disk !== undefined && AMAZON_FORMATS.has(disk)) || (container !== undefined && AMAZON_FORMATS.has(container))) {
    // Only this request's values are compared: PUT disk_format=ami alone also sets the container.
    if (disk === undefined) fields.disk_format = container;
    else if (container === undefined) fields.container_format = disk;
    else if (disk !== container) {
      throw bad(
        'Invalid mix of disk and container formats. When setting a disk or container format to one of ' +
          "'aki', 'ari', or 'ami', the container and disk formats must match.",
      );
    }
  }
}

/** Parses `req.rawHeaders` of a v1 POST/PUT. Throws BadRequestError with Glance's message. */
export function parseImageMetaHeaders(rawHeaders: readonly string[], options: MetaHeaderOptions): V1ImageMeta {
  const raw = collect(rawHeaders);
  const fields: Partial<V1FieldValues> = {};
  const set = <K extends V1FieldName>(k: K, v: V1FieldValues[K]): void => {
    fields[k] = v;
  };

  for (const f of INT_FIELDS) if (raw.fields.has(f)) set(f, parseIntField(f, raw.fields.get(f) ?? null));
  for (const f of BOOL_FIELDS) if (raw.fields.has(f)) set(f, lenientBool(raw.fields.get(f) ?? null));
  checkFormats(fields, raw.fields, options);
  for (const f of ['id', 'name', 'checksum', 'owner', 'location', 'store', 'status', 'copy_from', 'uri'] as const) {
    if (raw.fields.has(f)) set(f, raw.fields.get(f) ?? null);
  }

  // Glance measured a UTF-8 byte string (py2); v2 counts code points, and v2 decides in the end.
  const name = fields.name;
  if (name && pyLen(name) > 255) throw bad(`Image name too long: ${pyLen(name)}`);
  const checksum = fields.checksum;
  if (checksum && pyLen(checksum) > 32) {
    throw bad(`Invalid checksum '${checksum}': can't exceed 32 characters`);
  }

  // Content-Length wins when non-zero, as in Glance's deserializer; a reserve sends 0.
  const contentLength = raw.contentLength !== undefined ? parsePythonInt(raw.contentLength) : null;
  const declared = contentLength ? contentLength : fields.size;
  if (declared !== undefined && declared !== null && declared > options.imageSizeCap) {
    throw bad(`Denying attempt to upload image larger than ${options.imageSizeCap} bytes.`);
  }

  for (const f of TIME_FIELDS) {
    if (!raw.fields.has(f)) continue;
    const v = raw.fields.get(f) ?? null;
    const ms = v === null ? null : parseIsoTime(v);
    // Python 2's strftime refused years before 1900; the registry reported that as a bad format.
    if (v !== null && (ms === null || Number(v.slice(0, 4)) < 1900)) throw bad(`Invalid time format for ${f}.`);
    set(f, ms);
  }

  for (const f of ['min_disk', 'min_ram'] as const) {
    const v = fields[f];
    if (v !== undefined && v > MAX_DB_INT) throw bad(`'${f}' value out of range, must not exceed ${MAX_DB_INT}.`);
  }

  return {
    fields,
    properties: raw.properties,
    purgeProps: raw.purge === undefined ? undefined : lenientBool(raw.purge),
    copyFrom: raw.copyFrom,
  };
}

/**
 * The registry's id check, create only: on PUT a different id is a 403 instead (to-core.ts).
 * Stricter than oslo's is_uuid_like (which also takes 32 bare hex digits, braces or `urn:uuid:`):
 * the v2 schema stores only the 8-4-4-4-12 form, so anything else could not be created anyway.
 */
export function assertV1ImageId(meta: V1ImageMeta): void {
  const id = meta.fields.id;
  if (id !== undefined && id !== null && !isUuid(id)) throw bad('Invalid image id format');
}
