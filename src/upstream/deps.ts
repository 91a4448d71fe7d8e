import type { Logger } from 'pino';
import type { RequestContext } from '../core/context.js';
import { ForbiddenError } from '../core/errors.js';
import { importInFlight, type Image } from '../core/image.js';
import type { Limits } from '../config/config.js';
import type { UrlFetcher } from '../fetch/url-fetcher.js';
import type { UpstreamClient } from './client.js';
import type { MetadataCache } from './metadata-cache.js';
import type { V1Sidecar } from './sidecar.js';

export interface UpstreamDeps {
  client: UpstreamClient;
  cache: MetadataCache;
  sidecar: V1Sidecar;
  fetcher: UrlFetcher;
  limits: Limits;
  logger: Logger;
  /** Background transfers (gateway-side copy-from), awaited on close. */
  background: Set<Promise<unknown>>;
  /** Import methods the upstream offers (refreshed by health checks). */
  importMethods: string[];
}

export const imagePath = (id: string): string => `/v2/images/${encodeURIComponent(id)}`;

/** Anonymous read-only callers may not change anything, whatever the upstream would let the gateway do. */
export function assertWritable(ctx: RequestContext): void {
  if (ctx.readOnly) throw new ForbiddenError('Read-only access', { reason: 'read_only' });
}

/** v1's `killed` survives only in this gateway (v2 reverts a failed upload to queued). */
export function overlay(deps: UpstreamDeps, image: Image): Image {
  const { sidecar } = deps;
  if (sidecar.isCopying(image.id)) {
    // Glance answers the import call while the image is still `queued`, holding the import lock.
    if (image.status === 'importing' || (image.status === 'queued' && importInFlight(image))) return image;
    // A web-download import that ends back in `queued` without the lock failed (v2 gives no other
    // sign in a single store).
    sidecar.forget(image.id);
    if (image.status === 'queued') sidecar.markKilled(image.id);
  }
  if (!sidecar.isKilled(image.id)) return image;
  if (image.status !== 'queued') {
    sidecar.forget(image.id);
    return image;
  }
  return { ...image, status: 'killed' };
}
