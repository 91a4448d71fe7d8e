import type { Readable } from 'node:stream';
import type { RequestContext } from '../core/context.js';
import type { ImageData, UploadOptions } from '../core/core.js';
import {
  BadRequestError,
  ClientAbortError,
  ConflictError,
  ForbiddenError,
  GoneError,
  PayloadTooLargeError,
  ServiceUnavailableError,
} from '../core/errors.js';
import { DECLARED_CHECKSUM, DECLARED_SIZE, type Image } from '../core/image.js';
import { resolveRange, type ByteRangeRequest } from '../core/range.js';
import { assertFormatsForData } from '../core/state.js';
import { ingest } from '../store/ingest.js';
import type { BlobStore } from '../store/store.js';
import type { IngestResult } from '../store/store.js';
import { loadVisible, saveImage, type EmbeddedDeps } from './deps.js';
import { inspectVirtualSize, readAll } from './virtual-size.js';
import { LocationService } from './location-service.js';

/** Image bytes: upload (PUT /file), download, and staging for glance-direct. */
export class DataService {
  private readonly locations: LocationService;

  constructor(private readonly deps: EmbeddedDeps) {
    this.locations = new LocationService(deps);
  }

  addLocation(ctx: RequestContext, id: string, url: string, size: number | undefined, signal: AbortSignal): Promise<Image> {
    return this.locations.add(ctx, id, url, size, signal);
  }

  async upload(ctx: RequestContext, id: string, data: Readable, opts: UploadOptions, signal: AbortSignal): Promise<Image> {
    const d = this.deps;
    const store = this.pickStore(opts.storeId);
    const claimed = d.db.transaction(() => {
      const image = loadVisible(d, ctx, id, `No image found with ID ${id}`);
      d.policy.assertWritable(ctx);
      d.policy.assertOwnerOrAdmin(image, ctx, `Not allowed to upload image data for image ${id}`);
      if (image.status !== 'queued') {
        throw new ConflictError(`Image status transition from ${image.status} to saving is not allowed`);
      }
      assertFormatsForData(image, 'saving');
      // Persisted before any byte is read, as Glance does, so a second upload gets 409 at once.
      return saveImage(d, { ...image, status: 'saving', updated_at: d.now() }, false);
    })();
    const failStatus = opts.failureStatus ?? 'queued';
    const declaredSize = claimed.properties[DECLARED_SIZE];
    const expected: UploadOptions = {
      ...opts,
      expectedSize: opts.expectedSize ?? (declaredSize === undefined ? undefined : Number(declaredSize)),
      expectedChecksum: opts.expectedChecksum ?? claimed.properties[DECLARED_CHECKSUM],
    };
    let result: IngestResult;
    try {
      result = await this.receive(store, id, claimed.owner, data, expected, signal);
    } catch (e) {
      this.revert(id, 'saving', failStatus);
      throw mapWriteError(e, signal);
    }
    const virtualSize = await inspectVirtualSize(claimed.disk_format, claimed.container_format, result.size, (o, n) =>
      store.open(id, { start: o, end: o + n - 1 }, signal).then((s) => readAll(s, n)),
    );
    const done = d.db.transaction(() => {
      const current = d.images.get(id);
      if (current === undefined || current.deleted || current.status !== 'saving') return undefined;
      const { [DECLARED_SIZE]: _size, [DECLARED_CHECKSUM]: _sum, ...properties } = current.properties;
      return saveImage(d, {
        ...current,
        properties,
        status: 'active',
        size: result.size,
        virtual_size: virtualSize,
        checksum: result.md5,
        os_hash_algo: 'sha512',
        os_hash_value: result.sha512,
        stores: [store.id],
        updated_at: d.now(),
      });
    })();
    if (done === undefined) {
      await store.remove(id, AbortSignal.timeout(30_000)).catch(() => undefined);
      throw new GoneError(
        `Image ${id} could not be found after upload. The image may have been deleted during the upload, cleaning up the chunks uploaded.`,
      );
    }
    return done;
  }

  async open(ctx: RequestContext, id: string, req: ByteRangeRequest | null, signal: AbortSignal): Promise<ImageData | null> {
    const image = loadVisible(this.deps, ctx, id, `No image found with ID ${id}`);
    if (image.status === 'deactivated' && !ctx.isAdmin) {
      throw new ForbiddenError('The requested image has been deactivated. Image data download is forbidden.', {
        reason: 'image_deactivated',
      });
    }
    const storeId = image.stores[0];
    const external = image.locations.length > 0;
    if (image.size === null || (storeId === undefined && !external) || !['active', 'deactivated'].includes(image.status)) return null;
    const range = req === null ? null : resolveRange(req, image.size);
    let stream: Readable;
    if (storeId === undefined) stream = await this.locations.open(image, range, signal);
    else {
      const store = this.deps.stores.get(storeId);
      if (store === undefined) throw new ServiceUnavailableError(`Store ${storeId} holding image ${id} is not configured.`);
      stream = await store.open(id, range, signal);
    }
    const length = range === null ? image.size : range.end - range.start + 1;
    return { image, stream, size: image.size, range, length };
  }

  async stage(ctx: RequestContext, id: string, data: Readable, opts: UploadOptions, signal: AbortSignal): Promise<void> {
    const d = this.deps;
    d.db.transaction(() => {
      const image = loadVisible(d, ctx, id, `No image found with ID ${id}`);
      d.policy.assertWritable(ctx);
      d.policy.assertOwnerOrAdmin(image, ctx, 'You do not own this image');
      if (image.status !== 'queued') {
        throw new ConflictError(`Image status transition from ${image.status} to uploading is not allowed`);
      }
      if (d.db.prepare('SELECT 1 FROM staging WHERE image_id = ?').get(id) !== undefined) {
        throw new ConflictError(`The image ${id} has data on staging`);
      }
      saveImage(d, { ...image, status: 'uploading', updated_at: d.now() }, false);
    })();
    let result: IngestResult;
    try {
      result = await this.receive(d.staging, id, null, data, opts, signal);
    } catch (e) {
      this.revert(id, 'uploading', 'queued');
      throw mapWriteError(e, signal);
    }
    const kept = d.db.transaction(() => {
      const current = d.images.get(id);
      if (current === undefined || current.deleted || current.status !== 'uploading') return false;
      d.db
        .prepare('INSERT OR REPLACE INTO staging (image_id, size, checksum, os_hash_value, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(id, result.size, result.md5, result.sha512, d.now());
      saveImage(d, { ...current, size: result.size, updated_at: d.now() }, false);
      return true;
    })();
    if (!kept) {
      await d.staging.remove(id, AbortSignal.timeout(30_000)).catch(() => undefined);
      throw new GoneError(`Image ${id} could not be found after upload. The image may have been deleted during the upload, cleaning up the chunks uploaded.`);
    }
  }

  pickStore(storeId: string | undefined): BlobStore {
    const d = this.deps;
    if (storeId !== undefined && d.multiStore) {
      const store = d.stores.get(storeId);
      if (store === undefined) throw new BadRequestError(`Store for identifier ${storeId} not found`, { reason: 'unknown_store' });
      // Glance answers an upload into its read-only http store with 410.
      if (d.readOnlyStores.has(storeId)) {
        throw new GoneError('Error in store configuration. Adding images to store is disabled.', { reason: 'read_only_store' });
      }
      return store;
    }
    return d.stores.get(d.defaultStoreId)!;
  }

  /** Streams into a temp blob, checks the declared size and checksum, then commits durably. */
  private async receive(
    store: BlobStore,
    id: string,
    owner: string | null,
    data: Readable,
    opts: UploadOptions,
    signal: AbortSignal,
  ): Promise<IngestResult> {
    const { maxBytes, tooLarge } = this.byteLimit(owner);
    if (opts.contentLength !== undefined && opts.contentLength > maxBytes) throw tooLarge(opts.contentLength);
    const writer = await store.begin(id, signal);
    try {
      const result = await ingest(data, writer, { maxBytes, tooLarge, signal, hashers: this.deps.hashPool });
      if (opts.expectedSize !== undefined && opts.expectedSize !== result.size) {
        throw new BadRequestError(
          `Supplied size (${opts.expectedSize}) and size generated from uploaded image (${result.size}) did not match. Setting image status to 'killed'.`,
          { reason: 'size_mismatch' },
        );
      }
      if (opts.expectedChecksum !== undefined && opts.expectedChecksum !== result.md5) {
        throw new BadRequestError(
          `Supplied checksum (${opts.expectedChecksum}) and checksum generated from uploaded image (${result.md5}) did not match. Setting image status to 'killed'.`,
          { reason: 'checksum_mismatch' },
        );
      }
      await writer.commit(signal);
      return result;
    } catch (e) {
      await writer.abort();
      throw e;
    }
  }

  private byteLimit(owner: string | null): ByteLimit {
    return byteLimit(this.deps, owner, 0);
  }

  /** Puts an image whose transfer failed back where it was (v2: queued; v1: killed). */
  private revert(id: string, from: Image['status'], to: 'queued' | 'killed'): void {
    const d = this.deps;
    d.db.transaction(() => {
      const current = d.images.get(id);
      if (current === undefined || current.deleted || current.status !== from) return;
      saveImage(d, { ...current, status: to, size: null, virtual_size: null, updated_at: d.now() }, false);
    })();
  }
}

export interface ByteLimit {
  maxBytes: number;
  tooLarge: (n: number) => Error;
}

/**
 * The smaller of the size cap and what is left of the owner's storage quota; `counted` is what
 * the usage already includes of the image being written (an import's staged size).
 */
export function byteLimit(deps: EmbeddedDeps, owner: string | null, counted: number): ByteLimit {
  const { imageSizeCap, userStorageQuota } = deps.limits;
  if (userStorageQuota > 0 && owner !== null) {
    const remaining = Math.max(0, userStorageQuota - deps.images.usage(owner) + counted);
    if (remaining < imageSizeCap) {
      return {
        maxBytes: remaining,
        tooLarge: (n) =>
          new PayloadTooLargeError(
            `Image exceeds the storage quota: The size of the data ${n} will exceed the limit. ${remaining} bytes remaining.`,
            { reason: 'quota' },
          ),
      };
    }
  }
  return {
    maxBytes: imageSizeCap,
    tooLarge: () => new PayloadTooLargeError('The incoming image is too large: The provided image is too large.', { reason: 'size_cap' }),
  };
}

function mapWriteError(e: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return new ClientAbortError();
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new PayloadTooLargeError(`Image storage media is full: ${(e as Error).message}`, { reason: 'store_full' });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new ServiceUnavailableError(`Insufficient permissions on image storage media: ${(e as Error).message}`);
  }
  return e;
}
