import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { RequestContext } from '../core/context.js';
import { importInFlight, type Image } from '../core/image.js';

const TRANSIENT: ReadonlySet<string> = new Set(['saving', 'importing', 'uploading', 'pending_delete']);

interface Entry {
  image: Image;
  /** Projects the upstream showed this image to (what grants a shared image is not in the record). */
  viewers: Set<string>;
}

/**
 * Upstream image records for the v1 HEAD/GET hot path, bounded by count and TTL: a read may be
 * stale by at most the TTL for changes made behind the gateway's back; every write through the
 * gateway (either dialect) invalidates the image at once.
 *
 * Tenant safety: a record is served only to a caller that could see it anyway — admins, anyone for
 * public/community images, the owner's project — or, for shared and other images, to a project
 * the upstream itself showed the record to. Everyone else falls through to the upstream.
 *
 * Concurrent identical misses (same image, same caller identity) share one upstream call.
 */
export class MetadataCache {
  private readonly lru: LRUCache<string, Entry> | null;
  private readonly inflight = new Map<string, Promise<Image>>();
  /** Bumped by every invalidation, so a fetch that raced a write does not store its older result. */
  private readonly generations = new Map<string, number>();

  constructor(options: { max: number; ttlMs: number }) {
    this.lru = options.max > 0 && options.ttlMs > 0 ? new LRUCache<string, Entry>({ max: options.max, ttl: options.ttlMs, ttlAutopurge: false }) : null;
  }

  /** The cached record if this caller may be served it, else undefined. */
  peek(id: string, ctx: RequestContext): Image | undefined {
    const entry = this.lru?.get(id);
    if (entry === undefined) return undefined;
    return mayServe(entry, ctx) ? entry.image : undefined;
  }

  /**
   * The record from the cache, or from `fetch` (coalesced per image and caller identity) and
   * remembered for this caller's project.
   */
  async get(id: string, ctx: RequestContext, fetch: () => Promise<Image>): Promise<Image> {
    const hit = this.peek(id, ctx);
    if (hit !== undefined) return hit;
    const key = `${id}\n${identity(ctx)}`;
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      const generation = this.generations.get(id) ?? 0;
      pending = fetch().then((image) => {
        if ((this.generations.get(id) ?? 0) === generation) this.store(image, ctx);
        return image;
      });
      this.inflight.set(key, pending);
      const clear = (): void => {
        if (this.inflight.get(key) === pending) this.inflight.delete(key);
      };
      pending.then(clear, clear);
    }
    return pending;
  }

  /** Remembers a record the upstream just returned to `ctx`. */
  store(image: Image, ctx: RequestContext): void {
    // Images in transit change on their own (a background import, another client's upload):
    // pollers must see that, so only settled states are cached.
    if (this.lru === null || TRANSIENT.has(image.status) || importInFlight(image)) return;
    const current = this.lru.get(image.id);
    const viewers = current !== undefined && current.image.updated_at === image.updated_at ? current.viewers : new Set<string>();
    if (ctx.projectId !== null && !ctx.isAdmin) viewers.add(ctx.projectId);
    this.lru.set(image.id, { image, viewers });
  }

  invalidate(id: string): void {
    this.generations.set(id, (this.generations.get(id) ?? 0) + 1);
    if (this.generations.size > 100_000) this.generations.clear();
    this.lru?.delete(id);
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }
}

function mayServe(entry: Entry, ctx: RequestContext): boolean {
  const { image } = entry;
  if (ctx.isAdmin) return true;
  if (image.visibility === 'public' || image.visibility === 'community') return true;
  if (ctx.projectId === null) return false;
  if (image.owner !== null && image.owner === ctx.projectId) return true;
  return image.visibility === 'shared' && entry.viewers.has(ctx.projectId);
}

/** Callers that would get the same answer from the upstream (the token itself is never kept). */
function identity(ctx: RequestContext): string {
  const token = ctx.authToken === undefined ? '' : createHash('sha256').update(ctx.authToken).digest('base64url');
  return `${ctx.projectId ?? ''}|${ctx.userId ?? ''}|${ctx.isAdmin ? 'admin' : ''}|${ctx.roles.join(',')}|${token}`;
}
