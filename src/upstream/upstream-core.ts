import type { Readable } from 'node:stream';
import type { RequestContext } from '../core/context.js';
import type {
  CreateOptions,
  GetImageOptions,
  HealthReport,
  ImageCore,
  ImageData,
  ImportRequest,
  StoreInfo,
  UploadOptions,
} from '../core/core.js';
import { BadGatewayError, BadRequestError, CoreError, ForbiddenError, NotFoundError } from '../core/errors.js';
import type { Image, ImageCreateInput } from '../core/image.js';
import type { Member, MemberStatus } from '../core/member.js';
import type { PatchOp } from '../core/patch.js';
import type { ImagePage, ImageQuery } from '../core/query.js';
import type { ByteRangeRequest } from '../core/range.js';
import type { Task } from '../core/task.js';
import { fetchErrorToCore } from '../embedded/fetch-errors.js';
import { DataOps } from './data-ops.js';
import { assertWritable, imagePath, overlay, type UpstreamDeps } from './deps.js';
import { imageFromGlance, memberFromGlance, patchBody, taskFromGlance } from './image-map.js';
import { planList } from './list-query.js';

type Json = Record<string, unknown>;
/** Upstream pages read at most to fill one filtered page. */
const MAX_REFILL_ROUNDS = 20;
const JSON_TYPE = { 'content-type': 'application/json' };

/**
 * ImageCore over a real Glance v2: metadata as v2 JSON calls on the caller's behalf, bytes
 * streamed both ways, upstream failures as typed core errors. Reads of single images go through
 * the tenant-safe metadata cache; every write invalidates it.
 */
export class UpstreamCore implements ImageCore {
  private readonly data: DataOps;

  constructor(private readonly deps: UpstreamDeps) {
    this.data = new DataOps(deps, (ctx, id, s) => this.fetchImage(ctx, id, s), (ctx, id, s) => this.cachedImage(ctx, id, s));
  }

  private call<T = Json>(ctx: RequestContext, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, signal: AbortSignal, what: string, body?: unknown, headers: Record<string, string> = {}) {
    return this.deps.client.json<T>(
      ctx,
      { method, path, signal, headers: body === undefined ? headers : { ...JSON_TYPE, ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) },
      what,
    );
  }

  /** A write on one image: the cache forgets it before and after (a read racing the write must not survive it). */
  private async write<T>(ctx: RequestContext, id: string, run: () => Promise<T>): Promise<T> {
    assertWritable(ctx);
    this.deps.cache.invalidate(id);
    try {
      return await run();
    } finally {
      this.deps.cache.invalidate(id);
    }
  }

  private async fetchImage(ctx: RequestContext, id: string, signal: AbortSignal): Promise<Image> {
    const { body } = await this.call(ctx, 'GET', imagePath(id), signal, `image ${id}`);
    const image = imageFromGlance(body);
    this.deps.cache.store(image, ctx);
    return image;
  }

  private cachedImage(ctx: RequestContext, id: string, signal: AbortSignal): Promise<Image> {
    return this.deps.cache.get(id, ctx, async () => {
      const { body } = await this.call(ctx, 'GET', imagePath(id), signal, `image ${id}`);
      return imageFromGlance(body);
    });
  }

  async createImage(ctx: RequestContext, input: ImageCreateInput, signal: AbortSignal, options?: CreateOptions): Promise<Image> {
    assertWritable(ctx);
    const { body } = await this.call(ctx, 'POST', '/v2/images', signal, 'image create', input);
    const image = imageFromGlance(body);
    if (options?.declared !== undefined) this.deps.sidecar.declare(image.id, options.declared);
    this.deps.cache.store(image, ctx);
    return image;
  }

  async getImage(ctx: RequestContext, id: string, signal: AbortSignal, _options?: GetImageOptions): Promise<Image> {
    // v2 never shows deleted images: `includeDeleted` cannot be honoured (README deviation).
    return overlay(this.deps, await this.cachedImage(ctx, id, signal));
  }

  /**
   * One v2 page per call, unless what v2 cannot filter (v1 scopes, killed images) drops some:
   * then following upstream pages refill it, so a short page still means "no more" to clients.
   */
  async listImages(ctx: RequestContext, query: ImageQuery, signal: AbortSignal): Promise<ImagePage<Image>> {
    const plan = planList(query, ctx);
    const keep = (i: Image): boolean => (query.filters.includeGone === true || i.status !== 'killed') && plan.keep(i);
    const images: Image[] = [];
    let marker = query.marker;
    for (let round = 0; round < MAX_REFILL_ROUNDS; round++) {
      if (marker !== undefined) plan.params.set('marker', marker);
      const { body } = await this.call<{ images?: unknown }>(ctx, 'GET', `/v2/images?${plan.params.toString()}`, signal, 'image list').catch(
        (e: unknown) => {
          throw query.marker === undefined ? e : markerError(e, query.marker);
        },
      );
      if (!Array.isArray(body?.images)) throw new BadGatewayError('The upstream image service sent an invalid image list.', { reason: 'upstream_garbage' });
      const raw = (body.images as unknown[]).map(imageFromGlance);
      for (const image of raw) {
        const shown = overlay(this.deps, image);
        if (keep(shown)) images.push(shown);
        if (images.length === query.limit) return { images, full: true };
      }
      const more = raw.length === query.limit && query.limit > 0;
      if (!more) return { images, full: false };
      marker = raw[raw.length - 1]!.id;
    }
    // Give up refilling; the client gets a short page that still says "more".
    return { images, full: true };
  }

  updateImage(ctx: RequestContext, id: string, ops: PatchOp[], signal: AbortSignal): Promise<Image> {
    return this.write(ctx, id, async () => {
      const { contentType, body } = patchBody(ops);
      const res = await this.deps.client.json(ctx, { method: 'PATCH', path: imagePath(id), headers: { 'content-type': contentType }, body, signal }, `update of image ${id}`);
      return overlay(this.deps, imageFromGlance(res.body));
    });
  }

  async deleteImage(ctx: RequestContext, id: string, signal: AbortSignal): Promise<void> {
    await this.write(ctx, id, () => this.call(ctx, 'DELETE', imagePath(id), signal, `delete of image ${id}`));
    this.deps.sidecar.forget(id);
  }

  async deactivateImage(ctx: RequestContext, id: string, signal: AbortSignal): Promise<void> {
    await this.write(ctx, id, () => this.call(ctx, 'POST', `${imagePath(id)}/actions/deactivate`, signal, `deactivation of image ${id}`));
  }

  async reactivateImage(ctx: RequestContext, id: string, signal: AbortSignal): Promise<void> {
    await this.write(ctx, id, () => this.call(ctx, 'POST', `${imagePath(id)}/actions/reactivate`, signal, `reactivation of image ${id}`));
  }

  addLocation(ctx: RequestContext, id: string, url: string, options: { size?: number }, signal: AbortSignal): Promise<Image> {
    return this.write(ctx, id, () => this.data.addLocation(ctx, id, url, options.size, signal));
  }

  async checkExternalUrl(url: string, signal: AbortSignal): Promise<void> {
    try {
      await this.deps.fetcher.check(url, signal);
    } catch (e) {
      throw fetchErrorToCore(e, url);
    }
  }

  async deleteImageFromStore(ctx: RequestContext, id: string, storeId: string, signal: AbortSignal): Promise<void> {
    await this.write(ctx, id, () => this.call(ctx, 'DELETE', `/v2/stores/${encodeURIComponent(storeId)}/${encodeURIComponent(id)}`, signal, `delete of image ${id} from store ${storeId}`));
  }

  uploadImageData(ctx: RequestContext, id: string, data: Readable, options: UploadOptions, signal: AbortSignal): Promise<Image> {
    return this.data.upload(ctx, id, data, options, signal);
  }

  openImageData(ctx: RequestContext, id: string, range: ByteRangeRequest | null, signal: AbortSignal): Promise<ImageData | null> {
    return this.data.open(ctx, id, range, signal);
  }

  stageImageData(ctx: RequestContext, id: string, data: Readable, options: UploadOptions, signal: AbortSignal): Promise<void> {
    return this.data.stage(ctx, id, data, options, signal);
  }

  importImage(ctx: RequestContext, id: string, request: ImportRequest, signal: AbortSignal): Promise<void> {
    return this.data.importImage(ctx, id, request, signal);
  }

  async listImageTasks(ctx: RequestContext, id: string, signal: AbortSignal): Promise<Task[]> {
    const { body } = await this.call<{ tasks?: unknown }>(ctx, 'GET', `${imagePath(id)}/tasks`, signal, `tasks of image ${id}`);
    return Array.isArray(body?.tasks) ? (body.tasks as unknown[]).map(taskFromGlance) : [];
  }

  async addTag(ctx: RequestContext, id: string, tag: string, signal: AbortSignal): Promise<void> {
    await this.write(ctx, id, () => this.call(ctx, 'PUT', `${imagePath(id)}/tags/${encodeURIComponent(tag)}`, signal, `tag of image ${id}`));
  }

  async deleteTag(ctx: RequestContext, id: string, tag: string, signal: AbortSignal): Promise<void> {
    await this.write(ctx, id, () => this.call(ctx, 'DELETE', `${imagePath(id)}/tags/${encodeURIComponent(tag)}`, signal, `tag of image ${id}`));
  }

  async listMembers(ctx: RequestContext, id: string, signal: AbortSignal): Promise<Member[]> {
    const { body } = await this.call<{ members?: unknown }>(ctx, 'GET', `${imagePath(id)}/members`, signal, `members of image ${id}`);
    return Array.isArray(body?.members) ? (body.members as unknown[]).map(memberFromGlance) : [];
  }

  addMember(ctx: RequestContext, id: string, memberId: string, signal: AbortSignal): Promise<Member> {
    return this.write(ctx, id, async () =>
      memberFromGlance((await this.call(ctx, 'POST', `${imagePath(id)}/members`, signal, `members of image ${id}`, { member: memberId })).body),
    );
  }

  async getMember(ctx: RequestContext, id: string, memberId: string, signal: AbortSignal): Promise<Member> {
    const { body } = await this.call(ctx, 'GET', `${imagePath(id)}/members/${encodeURIComponent(memberId)}`, signal, `member of image ${id}`);
    return memberFromGlance(body);
  }

  updateMember(ctx: RequestContext, id: string, memberId: string, status: MemberStatus, signal: AbortSignal): Promise<Member> {
    return this.write(ctx, id, async () =>
      memberFromGlance((await this.call(ctx, 'PUT', `${imagePath(id)}/members/${encodeURIComponent(memberId)}`, signal, `member of image ${id}`, { status })).body),
    );
  }

  async deleteMember(ctx: RequestContext, id: string, memberId: string, signal: AbortSignal): Promise<void> {
    await this.write(ctx, id, () => this.call(ctx, 'DELETE', `${imagePath(id)}/members/${encodeURIComponent(memberId)}`, signal, `member of image ${id}`));
  }

  /**
   * v1 shared-images (spec v1 §7.3): every shared image the caller can list, then the membership
   * of `memberId` on each; images whose membership the caller may not see are skipped.
   */
  async listMemberships(ctx: RequestContext, memberId: string, signal: AbortSignal): Promise<Member[]> {
    const out: Member[] = [];
    let marker: string | undefined;
    for (;;) {
      const q = new URLSearchParams({ visibility: 'shared', member_status: 'all', limit: '1000', sort: 'created_at:desc,id:desc' });
      if (marker !== undefined) q.set('marker', marker);
      const { body } = await this.call<{ images?: unknown[] }>(ctx, 'GET', `/v2/images?${q.toString()}`, signal, 'shared image list');
      const page = Array.isArray(body?.images) ? body.images.map(imageFromGlance) : [];
      for (const image of page) {
        try {
          out.push(await this.getMember(ctx, image.id, memberId, signal));
        } catch (e) {
          if (!(e instanceof NotFoundError || e instanceof ForbiddenError)) throw e;
        }
      }
      if (page.length < 1000) return out;
      marker = page[page.length - 1]!.id;
    }
  }

  async listStores(ctx: RequestContext, signal: AbortSignal, options?: { detail?: boolean }): Promise<StoreInfo[] | null> {
    try {
      const path = options?.detail === true ? '/v2/info/stores/detail' : '/v2/info/stores';
      const { body } = await this.call<{ stores?: Json[] }>(ctx, 'GET', path, signal, 'store list');
      return (body?.stores ?? []).map((s) => ({
        id: String(s.id),
        ...(typeof s.description === 'string' ? { description: s.description } : {}),
        ...(s.default === true ? { default: true } : {}),
        ...(s['read-only'] === true ? { readOnly: true } : {}),
        type: typeof s.type === 'string' ? s.type : '',
        properties: typeof s.properties === 'object' && s.properties !== null ? (s.properties as Json) : {},
      }));
    } catch (e) {
      // Glance without enabled_backends answers 404 here.
      if (e instanceof NotFoundError) return null;
      throw e;
    }
  }

  importMethods(): readonly string[] {
    return this.deps.importMethods;
  }

  async getUsage(ctx: RequestContext, signal: AbortSignal): Promise<Record<string, unknown>> {
    try {
      const { body } = await this.call<{ usage?: Json }>(ctx, 'GET', '/v2/info/usage', signal, 'usage');
      return body?.usage ?? {};
    } catch (e) {
      if (e instanceof NotFoundError) return {};
      throw e;
    }
  }

  /** The upstream's own healthcheck. */
  async health(signal: AbortSignal): Promise<HealthReport> {
    const probe = AbortSignal.any([signal, AbortSignal.timeout(5000)]);
    try {
      const res = await this.deps.client.send({ method: 'GET', path: '/healthcheck', signal: probe }, 'healthcheck');
      const text = (await res.body.text()).trim().slice(0, 200);
      if (res.status !== 200) return { ok: false, detail: `upstream unhealthy: ${res.status} ${text}` };
      return { ok: true, detail: 'OK' };
    } catch (e) {
      return { ok: false, detail: `upstream unreachable: ${(e as Error).message}` };
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.deps.background]);
    await this.deps.client.close();
  }
}


/** The upstream's marker refusals carry the reasons the dialects reword (v1 says it differently). */
function markerError(e: unknown, marker: string): unknown {
  if (!(e instanceof CoreError) || !e.message.includes(marker)) return e;
  if (e instanceof BadRequestError) return new BadRequestError(e.message, { reason: 'marker_not_found', form: e.form });
  if (e instanceof ForbiddenError) return new ForbiddenError(e.message, { reason: 'marker_not_visible', form: e.form });
  return e;
}
