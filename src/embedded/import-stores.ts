import type { ImportRequest } from '../core/core.js';
import { BadRequestError, ConflictError } from '../core/errors.js';
import type { Image } from '../core/image.js';
import type { EmbeddedDeps } from './deps.js';

/**
 * The stores an import writes to (spec v2 §7.2 rows 16-18), or [] when a copy-image has nothing
 * left to do (every store already holds the image: Glance answers 202 and does nothing).
 * Single store: always the one store, whatever the request names (Glance: `[None]`).
 */
export function importTargets(d: EmbeddedDeps, req: ImportRequest, image: Image): string[] {
  const copy = req.method.name === 'copy-image';
  if (!d.multiStore) {
    if (req.all_stores_must_succeed === false) {
      throw new BadRequestError(`All_stores_must_succeed can only be set with enabled_backends ${req.method.uri ?? 'None'}`);
    }
    return [d.defaultStoreId];
  }
  let wanted: string[];
  if (req.all_stores === true) {
    if (req.stores !== undefined || req.storeHeader !== undefined) {
      throw new BadRequestError("All_stores parameter can't be used with x-image-meta-store header or stores parameter");
    }
    // Glance leaves its read-only http store out of "all".
    wanted = [...d.stores.keys()].filter((s) => !d.readOnlyStores.has(s));
  } else if (req.stores !== undefined) {
    if (req.storeHeader !== undefined) {
      throw new BadRequestError("Stores parameter and x-image-meta-store header can't be both specified");
    }
    wanted = [...new Set(req.stores)];
  } else {
    wanted = [req.storeHeader ?? d.defaultStoreId];
  }
  // An empty list would "succeed" without storing a byte; Glance then fails in the task.
  if (wanted.length === 0) throw new BadRequestError("'stores' must name at least one store");
  for (const s of wanted) {
    if (!d.stores.has(s)) throw new ConflictError(`Store for identifier ${s} not found`, { reason: 'unknown_store' });
    // Glance accepts the request and fails in the task (StoreAddDisabled); refusing now is clearer.
    if (d.readOnlyStores.has(s)) throw new ConflictError(`Store ${s} is read-only: adding images to it is disabled.`, { reason: 'read_only_store' });
  }
  if (!copy) return wanted;
  if (req.all_stores === true) return wanted.filter((s) => !image.stores.includes(s));
  const present = wanted.find((s) => image.stores.includes(s));
  if (present !== undefined) throw new BadRequestError(`Image is already present at store '${present}'`);
  return wanted;
}

/** Glance keeps its store lists sorted, comma-joined, without empty names. */
export function mergeStoreList(current: string | undefined, stores: readonly string[], subtract = false): string {
  const have = new Set((current ?? '').split(',').filter((s) => s !== ''));
  for (const s of stores) {
    if (subtract) have.delete(s);
    else have.add(s);
  }
  return [...have].sort().join(',');
}
