import { BadRequestError, ConflictError, ForbiddenError, PayloadTooLargeError } from './errors.js';
import type { Image, ImageLocation } from './image.js';
import type { PatchOp } from './patch.js';
import type { LocationOpHandler } from './patch-rules.js';

/** A location as the API shows it; `store` marks data held in one of the gateway's own stores. */
export interface ShownLocation {
  url: string;
  metadata: Record<string, unknown>;
  store?: string;
}

/** The URL of an image's blob in a store (`file://…`), or null if the store cannot say. */
export type StoreUrl = (storeId: string, imageId: string) => string | null;

/**
 * An image's locations as Glance lists them (spec v2 §3.1 `locations`): the copies in the
 * gateway's stores (metadata `{"store": id}` with several stores, `{}` with one), then the
 * external http(s) locations.
 */
export function imageLocations(image: Image, storeUrl: StoreUrl, multiStore: boolean): ShownLocation[] {
  const out: ShownLocation[] = [];
  for (const store of image.stores) {
    const url = storeUrl(store, image.id);
    if (url !== null) out.push({ url, metadata: multiStore ? { store } : {}, store });
  }
  for (const loc of image.locations) out.push({ url: loc.url, metadata: loc.metadata });
  return out;
}

export interface LocationPatchOptions {
  storeUrl: StoreUrl;
  multiStore: boolean;
  /** image_location_quota; negative = unlimited. */
  quota: number;
  /**
   * Sizes of the new external URLs, learnt (through the fetch guard) before the patch is applied;
   * a URL missing here, or of size 0, is an invalid location as in Glance.
   */
  remoteSizes: ReadonlyMap<string, number>;
  /** Filled with the stores whose location a `remove` dropped: their bytes go after the commit. */
  removedStores: string[];
}

type LocationValue = { url: string; metadata: Record<string, unknown>; validation_data?: Record<string, string> };

/** Glance's `_get_locations_op_pos`: a digit string or `-`; remove needs an existing index. */
function position(token: string | undefined, length: number, forAdd: boolean): number | null {
  if (token === undefined) return null;
  let pos = forAdd ? length : length - 1;
  if (/^\d+$/.test(token)) pos = Number(token);
  else if (token !== '-') return null;
  if (forAdd) return Math.min(pos, length);
  return pos >= 0 && pos < length ? pos : null;
}

/** Glance's `_validate_validation_data`: values to set on a queued image, 409 on conflicts. */
function validationData(image: Image, values: LocationValue[]): Partial<Pick<Image, 'checksum' | 'os_hash_algo' | 'os_hash_value'>> {
  const wanted: Record<string, string> = {};
  for (const v of values) {
    for (const [k, val] of Object.entries(v.validation_data ?? {})) {
      if (k in wanted && wanted[k] !== val) throw new ConflictError(`Conflicting values for ${k}`);
      wanted[k] = val;
    }
  }
  const fresh: Record<string, string> = {};
  for (const [k, v] of Object.entries(wanted)) {
    const current = image[k as 'checksum' | 'os_hash_algo' | 'os_hash_value'];
    if (v === current) continue;
    if (current) throw new ConflictError(`${k} is already set with a different value`);
    fresh[k] = v;
  }
  if (Object.keys(fresh).length === 0) return {};
  if (image.status !== 'queued') {
    throw new ConflictError(`New value(s) for ${Object.keys(fresh).join(', ')} may only be provided when image status is 'queued'`);
  }
  if (fresh.checksum !== undefined) {
    if (!/^([0-9a-fA-F]{2})*$/.test(fresh.checksum)) throw new ConflictError(`checksum (${fresh.checksum}) is not a valid hexadecimal value`);
    if (fresh.checksum.length !== 32) throw new ConflictError(`checksum (${fresh.checksum}) is not the correct size for md5 (should be 16 bytes)`);
  }
  if (fresh.os_hash_algo !== 'sha512') throw new ConflictError(`os_hash_algo must be sha512, not ${String(fresh.os_hash_algo)}`);
  const value = fresh.os_hash_value ?? '';
  if (!/^([0-9a-fA-F]{2})*$/.test(value)) throw new ConflictError(`os_hash_value (${value}) is not a valid hexadecimal value`);
  if (value.length !== 128) {
    throw new ConflictError(`os_hash_value (${value}) is not the correct size for sha512 (should be 64 bytes)`);
  }
  return fresh as Partial<Pick<Image, 'checksum' | 'os_hash_algo' | 'os_hash_value'>>;
}

const sameLocation = (a: ShownLocation, b: ShownLocation): boolean =>
  a.url === b.url && JSON.stringify(a.metadata) === JSON.stringify(b.metadata);

/**
 * The `/locations` PATCH ops with show_multiple_locations on (spec v2 §5.4.5), applied to the
 * draft. New locations must be external http(s) URLs that passed the fetch guard and reported a
 * size (`remoteSizes`); a gateway store location can be kept, reordered or removed, never added.
 */
export function locationPatch(opts: LocationPatchOptions): LocationOpHandler {
  const checkNew = (loc: ShownLocation): void => {
    const size = opts.remoteSizes.get(loc.url);
    if (size === undefined || size <= 0) throw new BadRequestError('Invalid location', { reason: 'invalid_location' });
  };
  return (op: PatchOp, draft: Image): void => {
    const list = imageLocations(draft, opts.storeUrl, opts.multiStore);
    const verb = op.op === 'remove' ? 'remove' : op.op;
    if (op.op === 'remove') {
      if (draft.status !== 'active') throw new ConflictError(`It's not allowed to remove locations if image status is ${draft.status}.`);
      if (list.length === 1) throw new ForbiddenError('Cannot remove last location in the image.', { form: 'detail', reason: 'last_location' });
      const pos = position(op.path[1], list.length, false);
      if (pos === null) throw new BadRequestError('Invalid position for removing a location.');
      const [gone] = list.splice(pos, 1);
      if (gone?.store !== undefined) opts.removedStores.push(gone.store);
      store(draft, list);
      return;
    }
    if (draft.status !== 'queued' && draft.status !== 'active') {
      throw new ConflictError(`It's not allowed to ${verb} locations if image status is ${draft.status}.`);
    }
    const values = (op.op === 'add' ? [op.value] : op.value) as LocationValue[];
    const val = validationData(draft, values);
    let next: ShownLocation[];
    if (op.op === 'add') {
      const pos = position(op.path[1], list.length, true);
      if (pos === null) throw new BadRequestError('Invalid position for adding a location.');
      const loc = { url: values[0]!.url, metadata: values[0]!.metadata };
      checkNew(loc);
      if (list.some((l) => sameLocation(l, loc))) throw new BadRequestError(`The location ${loc.url} already exists`);
      next = [...list.slice(0, pos), loc, ...list.slice(pos)];
    } else {
      const urls = values.map((v) => v.url).sort();
      const current = list.map((l) => l.url).sort();
      const sameUrls = JSON.stringify(urls) === JSON.stringify(current);
      if (list.length > 0 && !sameUrls) throw new BadRequestError(`Original locations is not empty: ${current.join(', ')}`);
      next = values.map((v) => {
        const kept = list.find((l) => l.url === v.url && l.store !== undefined);
        // A store's own location keeps its store metadata: the bytes are where they are.
        return kept ?? { url: v.url, metadata: v.metadata };
      });
      if (!sameUrls) {
        for (const [i, loc] of next.entries()) {
          checkNew(loc);
          if (next.some((other, j) => j !== i && sameLocation(other, loc))) throw new BadRequestError(`The location ${loc.url} already exists`);
        }
      }
    }
    if (opts.quota >= 0 && next.length > opts.quota) {
      throw new PayloadTooLargeError(
        `The limit has been exceeded on the number of allowed image locations. Attempted: ${next.length}, Maximum: ${opts.quota}`,
      );
    }
    store(draft, next);
    if (draft.status === 'queued') {
      Object.assign(draft, val, { status: 'active' });
      if (!draft.size) {
        const sized = next.find((l) => l.store === undefined && opts.remoteSizes.has(l.url));
        if (sized !== undefined) draft.size = opts.remoteSizes.get(sized.url)!;
      }
    }
  };
}

/** Splits the shown list back into the image's stores and external locations. */
function store(draft: Image, list: ShownLocation[]): void {
  draft.stores = list.filter((l) => l.store !== undefined).map((l) => l.store!);
  draft.locations = list
    .filter((l) => l.store === undefined)
    .map((l): ImageLocation => ({ url: l.url, metadata: l.metadata, status: 'active' }));
}

/** The http(s) URLs a PATCH would add as new locations: to be checked and sized beforehand. */
export function newLocationUrls(ops: readonly PatchOp[]): string[] {
  const urls: string[] = [];
  for (const op of ops) {
    if (op.path[0] !== 'locations' || op.op === 'remove') continue;
    const values = op.op === 'add' ? [op.value] : Array.isArray(op.value) ? op.value : [];
    for (const v of values) {
      const url = (v as { url?: unknown } | null)?.url;
      if (typeof url === 'string' && !urls.includes(url)) urls.push(url);
    }
  }
  return urls;
}
