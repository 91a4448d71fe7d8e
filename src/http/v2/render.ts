import { HIDDEN_PROPERTIES, type Image } from '../../core/image.js';
import { imageLocations, type StoreUrl } from '../../core/location-rules.js';
import type { Member } from '../../core/member.js';

/** v2 timestamps: UTC, whole seconds, `Z` (spec v2 §1.4). */
export function v2Time(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

export interface ImageView {
  /** Multi-store deployments show a `stores` key on images that have data. */
  multiStore: boolean;
  /** show_multiple_locations: a `locations` key on every image. */
  showMultipleLocations?: boolean;
  /** show_image_direct_url: `direct_url` (the first location) when there is one. */
  showImageDirectUrl?: boolean;
  /** Where a store keeps an image's bytes, for the locations of store-held data. */
  storeUrl?: StoreUrl;
}

/**
 * The v2 image document (spec v2 §3.1): extra properties first in stored order, then the
 * base attributes, then the links. Base attributes are never omitted.
 */
export function renderImage(image: Image, view: ImageView, hideLocations = false): Record<string, unknown> {
  // A null prototype, so a property named `__proto__` is an ordinary key like any other.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(image.properties)) {
    if (!HIDDEN_PROPERTIES.has(k)) out[k] = v;
  }
  out.name = image.name;
  out.disk_format = image.disk_format;
  out.container_format = image.container_format;
  out.visibility = image.visibility;
  out.size = image.size;
  out.virtual_size = image.virtual_size;
  out.status = image.status;
  out.checksum = image.checksum;
  out.protected = image.protected;
  out.min_ram = image.min_ram;
  out.min_disk = image.min_disk;
  out.owner = image.owner;
  out.os_hidden = image.os_hidden;
  out.os_hash_algo = image.os_hash_algo;
  out.os_hash_value = image.os_hash_value;
  out.id = image.id;
  out.created_at = v2Time(image.created_at);
  out.updated_at = v2Time(image.updated_at);
  if (view.showMultipleLocations === true || view.showImageDirectUrl === true) {
    const locations = hideLocations ? [] : imageLocations(image, view.storeUrl ?? (() => null), view.multiStore);
    if (view.showMultipleLocations === true) out.locations = locations.map((l) => ({ url: l.url, metadata: l.metadata }));
    if (view.showImageDirectUrl === true && locations.length > 0) out.direct_url = locations[0]!.url;
  }
  out.tags = image.tags;
  out.self = `/v2/images/${image.id}`;
  out.file = `/v2/images/${image.id}/file`;
  out.schema = '/v2/schemas/image';
  if (view.multiStore && image.stores.length > 0) out.stores = image.stores.join(',');
  return out;
}

export function renderMember(m: Member): Record<string, unknown> {
  return {
    member_id: m.member_id,
    image_id: m.image_id,
    status: m.status,
    created_at: v2Time(m.created_at),
    updated_at: v2Time(m.updated_at),
    schema: '/v2/schemas/member',
  };
}

/**
 * renderImage as JSON text, remembered per Image object. The core never mutates an Image
 * (every change makes a new object), so an object's text is fixed for its lifetime, and hot
 * images served from the cache are serialised once instead of on every show and list.
 */
export function makeImageJson(view: ImageView): (image: Image, hideLocations?: boolean) => string {
  const memo = new WeakMap<Image, string>();
  return (image, hideLocations = false) => {
    // Per caller, so never remembered (non-admins see no locations of a deactivated image).
    if (hideLocations) return JSON.stringify(renderImage(image, view, true));
    let text = memo.get(image);
    if (text === undefined) {
      text = JSON.stringify(renderImage(image, view));
      memo.set(image, text);
    }
    return text;
  };
}
