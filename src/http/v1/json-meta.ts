import { BadRequestError } from '../../core/errors.js';
import { parseImageMetaHeaders, type MetaHeaderOptions, type V1ImageMeta } from './meta-headers.js';
import { utf8AsLatin1 } from './render.js';

/** JSON keys of openstacksdk's v1 Image resource → the v1 field they mean (spec v1 §8.4 (a)). */
const FIELD_ALIASES: Readonly<Record<string, string>> = {
  name: 'name',
  disk_format: 'disk_format',
  container_format: 'container_format',
  min_disk: 'min_disk',
  min_ram: 'min_ram',
  size: 'size',
  checksum: 'checksum',
  owner: 'owner',
  owner_id: 'owner',
  protected: 'protected',
  is_protected: 'protected',
  is_public: 'is_public',
  location: 'location',
  copy_from: 'copy_from',
  id: 'id',
  store: 'store',
};
/** Keys the SDK sends that are not image metadata (OSC merges them back into every update). */
const IGNORED: ReadonlySet<string> = new Set(['validate_checksum', 'status', 'created_at', 'updated_at', 'deleted', 'deleted_at', 'virtual_size']);

const asHeaderValue = (v: unknown): string =>
  utf8AsLatin1(v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'boolean' ? String(v) : JSON.stringify(v));

/**
 * The compatibility extension for openstackclient/openstacksdk v1: a JSON body on POST/PUT is
 * metadata, not image data. `{"image": {...}}` or a bare object; known keys become fields,
 * `properties` and every other key become properties. It is turned into the headers a v1
 * client would have sent, so it goes through exactly the same parsing and validation.
 */
export function metaFromJsonBody(body: unknown, options: MetaHeaderOptions): V1ImageMeta {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('Unexpected body type. Expected list/dict.');
  }
  const wrapped = (body as Record<string, unknown>).image;
  const image = (typeof wrapped === 'object' && wrapped !== null && !Array.isArray(wrapped) ? wrapped : body) as Record<string, unknown>;
  const raw: string[] = [];
  const put = (key: string, value: unknown): void => {
    if (IGNORED.has(key)) return;
    const field = FIELD_ALIASES[key];
    if (field !== undefined) raw.push(`x-image-meta-${field}`, asHeaderValue(value));
    else raw.push(`x-image-meta-property-${key}`, asHeaderValue(value));
  };
  for (const [key, value] of Object.entries(image)) {
    if (key === 'properties' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) put(k, v);
    } else {
      put(key, value);
    }
  }
  const meta = parseImageMetaHeaders(raw, options);
  // A JSON update never purges: the SDK sends only what changed.
  return { ...meta, purgeProps: false };
}
