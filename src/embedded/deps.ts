import type { Logger } from 'pino';
import type { Limits } from '../config/config.js';
import type { RequestContext } from '../core/context.js';
import { NotFoundError } from '../core/errors.js';
import type { Image } from '../core/image.js';
import type { MemberStatus } from '../core/member.js';
import type { Policy } from '../core/policy.js';
import type { BlobStore } from '../store/store.js';
import type { HashPool } from '../store/hash-pool.js';
import type { UrlFetcher } from '../fetch/url-fetcher.js';
import type { Db } from './db/database.js';
import type { ImageRepo } from './db/image-repo.js';
import type { MemberRepo } from './db/member-repo.js';
import type { TaskRepo } from './db/task-repo.js';
import type { ImageCache } from './image-cache.js';

/** Everything the embedded core's parts share; built once in src/embedded/create.ts. */
export interface EmbeddedDeps {
  db: Db;
  images: ImageRepo;
  members: MemberRepo;
  tasks: TaskRepo;
  cache: ImageCache;
  policy: Policy;
  /** Configured stores by id; a single-store deployment has one, with multiStore false. */
  stores: Map<string, BlobStore>;
  defaultStoreId: string;
  multiStore: boolean;
  /** Stores that serve bytes but accept none. */
  readOnlyStores: ReadonlySet<string>;
  /** show_multiple_locations: the /locations PATCH ops are allowed. */
  showMultipleLocations: boolean;
  staging: BlobStore;
  hashPool: HashPool;
  /** Outbound fetches (locations, web-download), behind the SSRF guard. */
  fetcher: UrlFetcher;
  limits: Limits;
  formats: { disk: readonly string[]; container: readonly string[] };
  /** The methods offered: configured ones, copy-image only with several stores. */
  importMethods: readonly string[];
  now: () => number;
  logger: Logger;
  /** Background work (imports) that close() waits for. */
  background: Set<Promise<unknown>>;
}

/** Reads an image through the cache; deleted rows are returned too (callers decide). */
export function loadImage(deps: EmbeddedDeps, id: string): Image | undefined {
  const cached = deps.cache.get(id);
  if (cached !== undefined) return cached;
  const image = deps.images.get(id);
  if (image !== undefined) deps.cache.put(image);
  return image;
}

/** The caller's membership status on a shared image, looked up only when it matters. */
export function membershipOf(deps: EmbeddedDeps, image: Image, ctx: RequestContext): MemberStatus | null {
  if (ctx.isAdmin || ctx.projectId === null || image.visibility !== 'shared' || image.owner === ctx.projectId) {
    return null;
  }
  return deps.members.get(image.id, ctx.projectId)?.status ?? null;
}

/**
 * The image if it exists, is not deleted and the caller may see it; otherwise NotFoundError
 * with the endpoint's own message (Glance never says 403 for an invisible image).
 */
export function loadVisible(deps: EmbeddedDeps, ctx: RequestContext, id: string, notFound: string): Image {
  const image = loadImage(deps, id);
  if (image === undefined || image.deleted || !deps.policy.canSee(image, ctx, membershipOf(deps, image, ctx))) {
    throw new NotFoundError(notFound, { reason: 'image_not_found' });
  }
  return image;
}

/** Persists a changed image and refreshes the cache in the same tick. */
export function saveImage(deps: EmbeddedDeps, image: Image, sideTables = true): Image {
  deps.images.save(image, sideTables);
  deps.cache.put(image);
  return image;
}
