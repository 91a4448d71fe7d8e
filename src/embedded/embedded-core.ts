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
import type { Image, ImageCreateInput } from '../core/image.js';
import type { Member, MemberStatus } from '../core/member.js';
import type { PatchOp } from '../core/patch.js';
import type { ImagePage, ImageQuery } from '../core/query.js';
import type { ByteRangeRequest } from '../core/range.js';
import type { Task } from '../core/task.js';
import { ForbiddenError } from '../core/errors.js';
import { DataService } from './data-service.js';
import { fetchErrorToCore } from './fetch-errors.js';
import type { EmbeddedDeps } from './deps.js';
import { ImageService } from './image-service.js';
import { ImportService } from './import-service.js';
import { MemberService } from './member-service.js';
import { LocationService } from './location-service.js';

/**
 * The embedded core: SQLite metadata behind an LRU cache, bytes in local file stores.
 * Metadata calls are synchronous SQLite transactions (one writer, no "database is locked");
 * they are wrapped in async methods to honour the ImageCore contract.
 */
export class EmbeddedCore implements ImageCore {
  private readonly imageService: ImageService;
  private readonly data: DataService;
  private readonly memberService: MemberService;
  private readonly imports: ImportService;
  private readonly locations: LocationService;

  constructor(private readonly deps: EmbeddedDeps) {
    this.imageService = new ImageService(deps);
    this.data = new DataService(deps);
    this.memberService = new MemberService(deps);
    this.imports = new ImportService(deps);
    this.locations = new LocationService(deps);
  }

  async createImage(ctx: RequestContext, input: ImageCreateInput, signal: AbortSignal, options?: CreateOptions): Promise<Image> {
    signal.throwIfAborted();
    return this.imageService.create(ctx, input, options?.declared);
  }

  async getImage(ctx: RequestContext, id: string, signal: AbortSignal, options?: GetImageOptions): Promise<Image> {
    signal.throwIfAborted();
    return this.imageService.get(ctx, id, options?.includeDeleted === true);
  }

  async listImages(ctx: RequestContext, query: ImageQuery, signal: AbortSignal): Promise<ImagePage<Image>> {
    signal.throwIfAborted();
    return this.imageService.list(ctx, query);
  }

  async updateImage(ctx: RequestContext, id: string, ops: PatchOp[], signal: AbortSignal): Promise<Image> {
    signal.throwIfAborted();
    if (!this.deps.showMultipleLocations) return this.imageService.update(ctx, id, ops);
    return this.locations.patch(ctx, id, ops, (options) => this.imageService.update(ctx, id, ops, options), signal);
  }

  locationUrl(storeId: string, imageId: string): string | null {
    return this.locations.storeUrl(storeId, imageId);
  }

  async deleteImage(ctx: RequestContext, id: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const image = this.imageService.delete(ctx, id);
    // The row is already gone from every read; a crash before this point leaves orphan blobs
    // that start-up recovery collects.
    const removals = image.stores.map((s) => this.deps.stores.get(s)?.remove(id, signal));
    removals.push(this.deps.staging.remove(id, signal));
    const results = await Promise.allSettled(removals);
    for (const r of results) {
      if (r.status === 'rejected') this.deps.logger.warn({ err: r.reason, image_id: id }, 'could not remove image data');
    }
  }

  async deactivateImage(ctx: RequestContext, id: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.imageService.setActive(ctx, id, false);
  }

  async reactivateImage(ctx: RequestContext, id: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.imageService.setActive(ctx, id, true);
  }

  addLocation(ctx: RequestContext, id: string, url: string, options: { size?: number }, signal: AbortSignal): Promise<Image> {
    return this.data.addLocation(ctx, id, url, options.size, signal);
  }

  async checkExternalUrl(url: string, signal: AbortSignal): Promise<void> {
    try {
      await this.deps.fetcher.check(url, signal);
    } catch (e) {
      throw fetchErrorToCore(e, url);
    }
  }

  async deleteImageFromStore(ctx: RequestContext, id: string, storeId: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const store = this.imageService.dropStore(ctx, id, storeId);
    await store.remove(id, signal);
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

  async importImage(ctx: RequestContext, id: string, request: ImportRequest, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    await this.imports.start(ctx, id, request, signal);
  }

  async listImageTasks(ctx: RequestContext, id: string, signal: AbortSignal): Promise<Task[]> {
    signal.throwIfAborted();
    const image = this.imageService.get(ctx, id, false);
    const tasks = this.deps.tasks.forImage(image.id, this.deps.now());
    return ctx.isAdmin ? tasks : tasks.filter((t) => t.owner === ctx.projectId);
  }

  async addTag(ctx: RequestContext, id: string, tag: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.imageService.addTag(ctx, id, tag);
  }

  async deleteTag(ctx: RequestContext, id: string, tag: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.imageService.deleteTag(ctx, id, tag);
  }

  async listMembers(ctx: RequestContext, id: string, signal: AbortSignal): Promise<Member[]> {
    signal.throwIfAborted();
    return this.memberService.list(ctx, id);
  }

  async addMember(ctx: RequestContext, id: string, memberId: string, signal: AbortSignal): Promise<Member> {
    signal.throwIfAborted();
    return this.memberService.add(ctx, id, memberId);
  }

  async getMember(ctx: RequestContext, id: string, memberId: string, signal: AbortSignal): Promise<Member> {
    signal.throwIfAborted();
    return this.memberService.get(ctx, id, memberId);
  }

  async updateMember(ctx: RequestContext, id: string, memberId: string, status: MemberStatus, signal: AbortSignal): Promise<Member> {
    signal.throwIfAborted();
    return this.memberService.update(ctx, id, memberId, status);
  }

  async deleteMember(ctx: RequestContext, id: string, memberId: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.memberService.delete(ctx, id, memberId);
  }

  async listMemberships(ctx: RequestContext, memberId: string, signal: AbortSignal): Promise<Member[]> {
    signal.throwIfAborted();
    return this.memberService.listMemberships(ctx, memberId);
  }

  async listStores(ctx: RequestContext, signal: AbortSignal, options?: { detail?: boolean }): Promise<StoreInfo[] | null> {
    signal.throwIfAborted();
    if (!this.deps.multiStore) return null;
    if (options?.detail === true && !this.deps.policy.isAllowed('stores_info_detail', ctx)) {
      throw new ForbiddenError('You are not authorized to complete stores_info_detail action.');
    }
    return [...this.deps.stores.values()].map((s) => ({
      id: s.id,
      ...(s.description !== undefined ? { description: s.description } : {}),
      ...(s.id === this.deps.defaultStoreId ? { default: true } : {}),
      ...(this.deps.readOnlyStores.has(s.id) ? { readOnly: true } : {}),
      type: s.type,
      properties: s.properties,
    }));
  }


  importMethods(): readonly string[] {
    return this.deps.importMethods;
  }

  async getUsage(ctx: RequestContext, signal: AbortSignal): Promise<Record<string, unknown>> {
    signal.throwIfAborted();
    // Glance without unified limits (use_keystone_limits=False) reports no usage.
    return {};
  }

  async health(signal: AbortSignal): Promise<HealthReport> {
    signal.throwIfAborted();
    try {
      this.deps.db.prepare('SELECT 1').get();
      return { ok: true, detail: 'OK' };
    } catch (e) {
      return { ok: false, detail: `database unavailable: ${(e as Error).message}` };
    }
  }

  async close(): Promise<void> {
    this.imports.close();
    await Promise.allSettled([...this.deps.background]);
    await this.deps.hashPool.close();
    this.deps.db.close();
  }
}
