import type { Readable } from 'node:stream';
import type { RequestContext } from '../core/context.js';
import { BadRequestError, ConflictError } from '../core/errors.js';
import type { Image } from '../core/image.js';
import type { ResolvedRange } from '../core/range.js';
import type { PatchOp } from '../core/patch.js';
import type { PatchOptions } from '../core/patch-rules.js';
import { locationPatch, newLocationUrls, type StoreUrl } from '../core/location-rules.js';
import { loadVisible, saveImage, type EmbeddedDeps } from './deps.js';
import { fetchErrorToCore } from './fetch-errors.js';

/**
 * External image data (v1 `x-image-meta-location`): the bytes stay at an http(s) URL and are
 * streamed from it, through the SSRF guard, on every download. Never copied into a store.
 */
export class LocationService {
  constructor(private readonly deps: EmbeddedDeps) {}

  async add(ctx: RequestContext, id: string, url: string, size: number | undefined, signal: AbortSignal): Promise<Image> {
    const d = this.deps;
    const before = loadVisible(d, ctx, id, `No image found with ID ${id}`);
    d.policy.assertWritable(ctx);
    d.policy.assertOwnerOrAdmin(before, ctx, 'You do not own this image');
    let remote: number | null;
    try {
      remote = (await d.fetcher.head(url, signal)).size;
    } catch (e) {
      throw fetchErrorToCore(e, url);
    }
    if (size !== undefined && remote !== null && remote !== 0 && remote !== size) {
      throw new ConflictError(`Provided image size must match the stored image size. (provided size: ${size}, stored size: ${remote})`);
    }
    return d.db.transaction(() => {
      const image = loadVisible(d, ctx, id, `No image found with ID ${id}`);
      if (image.status !== 'queued') throw new BadRequestError('Attempted to update Location field for an image not in queued status.');
      const quota = d.limits.locationQuota;
      if (quota >= 0 && image.locations.length + 1 > quota) throw new BadRequestError('Too many locations for this image.');
      return saveImage(d, {
        ...image,
        status: 'active',
        size: size ?? remote ?? 0,
        locations: [...image.locations, { url, metadata: {}, status: 'active' }],
        updated_at: d.now(),
      });
    })();
  }

  readonly storeUrl: StoreUrl = (storeId, imageId) => this.deps.stores.get(storeId)?.locationUrl?.(imageId) ?? null;

  /**
   * A PATCH with show_multiple_locations on (spec v2 §5.4.5). The new location URLs are checked
   * by the fetch guard and sized with a HEAD first (only for a caller who may change the image,
   * so nobody else can make the gateway probe URLs); the patch itself is then one transaction.
   * The bytes of a store whose location was removed are deleted after the commit.
   */
  async patch(
    ctx: RequestContext,
    id: string,
    ops: PatchOp[],
    update: (options: PatchOptions) => Image,
    signal: AbortSignal,
  ): Promise<Image> {
    const d = this.deps;
    const urls = newLocationUrls(ops);
    const remoteSizes = new Map<string, number>();
    if (urls.length > 0) {
      const image = loadVisible(d, ctx, id, `No image found with ID ${id}`);
      const cap = d.limits.locationQuota < 0 ? 100 : d.limits.locationQuota + 1;
      if (d.policy.isOwnerOrAdmin(image, ctx) && !ctx.readOnly) {
        for (const url of urls.slice(0, cap)) {
          const size = await this.remoteSize(url, signal);
          if (size !== null) remoteSizes.set(url, size);
        }
      }
    }
    const removedStores: string[] = [];
    const handler = locationPatch({
      storeUrl: this.storeUrl,
      multiStore: d.multiStore,
      quota: d.limits.locationQuota,
      remoteSizes,
      removedStores,
    });
    const image = update({ locations: handler });
    for (const storeId of removedStores) {
      if (image.stores.includes(storeId)) continue;
      await d.stores.get(storeId)?.remove(id, AbortSignal.timeout(30_000)).catch((err: unknown) => {
        d.logger.warn({ err, image_id: id, store: storeId }, 'could not remove image data of a removed location');
      });
    }
    return image;
  }

  /** The size an http(s) location reports, or null when it is refused or unusable. */
  private async remoteSize(url: string, signal: AbortSignal): Promise<number | null> {
    if (!/^https?:\/\//i.test(url)) return null;
    try {
      return (await this.deps.fetcher.head(url, signal)).size;
    } catch (e) {
      if (signal.aborted) throw e;
      this.deps.logger.info({ reason: (e as Error).name }, 'location refused or unreachable');
      return null;
    }
  }

  /** Streams the bytes of an image whose data lives at its first location. */
  async open(image: Image, range: ResolvedRange | null, signal: AbortSignal): Promise<Readable> {
    const url = image.locations[0]!.url;
    try {
      const { body } = await this.deps.fetcher.open(url, signal);
      if (range === null) return body;
      return sliceStream(body, range);
    } catch (e) {
      throw fetchErrorToCore(e, url);
    }
  }
}

/** Bytes start..end (inclusive) of a stream; the remote server is not asked for ranges. */
async function* slice(body: Readable, range: ResolvedRange): AsyncGenerator<Buffer> {
  let offset = 0;
  try {
    for await (const chunk of body) {
      const b = chunk as Buffer;
      const from = Math.max(range.start - offset, 0);
      const to = Math.min(range.end + 1 - offset, b.length);
      if (to > from) yield b.subarray(from, to);
      offset += b.length;
      if (offset > range.end) break;
    }
  } finally {
    body.destroy();
  }
}

function sliceStream(body: Readable, range: ResolvedRange): Readable {
  return (body.constructor as typeof Readable).from(slice(body, range), { objectMode: false });
}
