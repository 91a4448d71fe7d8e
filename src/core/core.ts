import type { Readable } from 'node:stream';
import type { RequestContext } from './context.js';
import type { Image, ImageCreateInput } from './image.js';
import type { Member, MemberStatus } from './member.js';
import type { ImagePage, ImageQuery } from './query.js';
import type { PatchOp } from './patch.js';
import type { ByteRangeRequest, ResolvedRange } from './range.js';
import type { Task } from './task.js';

/**
 * The one interface every route calls. Two implementations: the embedded core
 * (src/embedded) and the upstream core (src/upstream). Routes cannot tell them apart.
 *
 * Every call takes the caller's context and an AbortSignal; visibility, ownership and
 * policy are enforced behind this interface, never in the routes.
 */
export interface ImageCore {
  createImage(ctx: RequestContext, input: ImageCreateInput, signal: AbortSignal, options?: CreateOptions): Promise<Image>;
  getImage(ctx: RequestContext, id: string, signal: AbortSignal, options?: GetImageOptions): Promise<Image>;
  listImages(ctx: RequestContext, query: ImageQuery, signal: AbortSignal): Promise<ImagePage<Image>>;
  updateImage(ctx: RequestContext, id: string, ops: PatchOp[], signal: AbortSignal): Promise<Image>;
  deleteImage(ctx: RequestContext, id: string, signal: AbortSignal): Promise<void>;
  deactivateImage(ctx: RequestContext, id: string, signal: AbortSignal): Promise<void>;
  reactivateImage(ctx: RequestContext, id: string, signal: AbortSignal): Promise<void>;

  /**
   * Registers external image data at an http(s) URL (v1 `x-image-meta-location`): a queued
   * image becomes active at once; its bytes are streamed from the URL on every download.
   * The URL passes the same guard as every other fetch. `size` defaults to the remote length.
   */
  addLocation(ctx: RequestContext, id: string, url: string, options: { size?: number }, signal: AbortSignal): Promise<Image>;

  /**
   * Checks, without connecting, that a URL may be fetched at all (scheme, port, every resolved
   * address): BadRequestError otherwise. Lets a dialect refuse a source before reserving an image.
   */
  checkExternalUrl(url: string, signal: AbortSignal): Promise<void>;

  /**
   * The URL an image's copy in a store is shown as in `locations` (show_multiple_locations), or
   * null when the store has none to show. Optional: a core without own stores has no such URLs.
   */
  locationUrl?(storeId: string, imageId: string): string | null;

  /** Removes the image's bytes from one store of several (v2 2.10); 403 when it is the only one. */
  deleteImageFromStore(ctx: RequestContext, id: string, storeId: string, signal: AbortSignal): Promise<void>;

  /** Streams `data` into the store; resolves with the image once it is durably `active`. */
  uploadImageData(
    ctx: RequestContext,
    id: string,
    data: Readable,
    options: UploadOptions,
    signal: AbortSignal,
  ): Promise<Image>;
  /** Opens the image bytes, or resolves null when the image has no data (v2 answers 204). */
  openImageData(
    ctx: RequestContext,
    id: string,
    range: ByteRangeRequest | null,
    signal: AbortSignal,
  ): Promise<ImageData | null>;
  stageImageData(
    ctx: RequestContext,
    id: string,
    data: Readable,
    options: UploadOptions,
    signal: AbortSignal,
  ): Promise<void>;
  importImage(ctx: RequestContext, id: string, request: ImportRequest, signal: AbortSignal): Promise<void>;

  /** The import tasks of one image that have not expired (v2 2.12). */
  listImageTasks(ctx: RequestContext, id: string, signal: AbortSignal): Promise<Task[]>;

  addTag(ctx: RequestContext, id: string, tag: string, signal: AbortSignal): Promise<void>;
  deleteTag(ctx: RequestContext, id: string, tag: string, signal: AbortSignal): Promise<void>;

  listMembers(ctx: RequestContext, id: string, signal: AbortSignal): Promise<Member[]>;
  addMember(ctx: RequestContext, id: string, memberId: string, signal: AbortSignal): Promise<Member>;
  getMember(ctx: RequestContext, id: string, memberId: string, signal: AbortSignal): Promise<Member>;
  updateMember(
    ctx: RequestContext,
    id: string,
    memberId: string,
    status: MemberStatus,
    signal: AbortSignal,
  ): Promise<Member>;
  deleteMember(ctx: RequestContext, id: string, memberId: string, signal: AbortSignal): Promise<void>;
  /**
   * The live memberships of `memberId` that the caller may see: all for admins; otherwise those
   * on images the caller owns, plus the caller's own memberships (v1 shared-images).
   */
  listMemberships(ctx: RequestContext, memberId: string, signal: AbortSignal): Promise<Member[]>;

  /**
   * The configured stores, or null when the deployment is single-store (Glance: no enabled_backends).
   * `detail` (type and properties) is admin-only by policy.
   */
  listStores(ctx: RequestContext, signal: AbortSignal, options?: { detail?: boolean }): Promise<StoreInfo[] | null>;
  importMethods(): readonly string[];
  getUsage(ctx: RequestContext, signal: AbortSignal): Promise<Record<string, unknown>>;
  health(signal: AbortSignal): Promise<HealthReport>;
  close(): Promise<void>;
}

export interface CreateOptions {
  /**
   * v1 lets a reserve declare the size and md5 of data still to come; the first upload must
   * match them. Kept in the core's metadata as hidden properties (DECLARED_SIZE/CHECKSUM).
   */
  declared?: { size?: number; checksum?: string };
}

export interface GetImageOptions {
  /** v1 lets admins HEAD deleted images. */
  includeDeleted?: boolean;
}

export interface UploadOptions {
  /** Target store id (multi-store `X-Image-Meta-Store`). */
  storeId?: string;
  /** Declared Content-Length, if any: refused early when it exceeds the size cap. */
  contentLength?: number;
  /** v1: bytes must add up to this, else the data is discarded. */
  expectedSize?: number;
  /** v1: md5 must equal this, else the data is discarded. */
  expectedChecksum?: string;
  /** What becomes of the image after a failed or mismatching upload: v2 `queued`, v1 `killed`. */
  failureStatus?: 'queued' | 'killed';
}

export interface ImageData {
  image: Image;
  stream: Readable;
  /** Total image size. */
  size: number;
  /** Present for a ranged answer (206). */
  range: ResolvedRange | null;
  /** Bytes in this answer. */
  length: number;
}

export interface ImportRequest {
  method: { name: string; uri?: string; [k: string]: unknown };
  stores?: string[];
  all_stores?: boolean;
  all_stores_must_succeed?: boolean;
  /** Value of X-Image-Meta-Store, if sent. */
  storeHeader?: string;
  /** What a failed import leaves: v2 `queued` (default), v1 copy-from `killed`. */
  failureStatus?: 'queued' | 'killed';
}

export interface StoreInfo {
  id: string;
  description?: string;
  default?: boolean;
  readOnly?: boolean;
  type: string;
  properties: Record<string, unknown>;
}

export interface HealthReport {
  ok: boolean;
  detail: string;
}
