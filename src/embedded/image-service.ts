import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../core/context.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, PayloadTooLargeError } from '../core/errors.js';
import { DECLARED_CHECKSUM, DECLARED_SIZE, type Image, type ImageCreateInput } from '../core/image.js';
import { applyPatch, validateCreate, validateTag, type PatchOptions } from '../core/image-rules.js';
import type { PatchOp } from '../core/patch.js';
import type { ImagePage, ImageQuery } from '../core/query.js';
import type { BlobStore } from '../store/store.js';
import { buildListSql } from './db/list-sql.js';
import type { Statement } from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import { loadImage, loadVisible, membershipOf, saveImage, type EmbeddedDeps } from './deps.js';

const NOT_OWNER = 'You do not own this image';

/** Image metadata: create, read, list, patch, delete, (de)activate and tags. */
export class ImageService {
  /** Prepared list statements by SQL text: the shapes of list queries are few and repeat. */
  private readonly listStatements = new LRUCache<string, Statement<unknown[], string>>({ max: 256 });

  constructor(private readonly deps: EmbeddedDeps) {}

  create(ctx: RequestContext, input: ImageCreateInput, declared?: { size?: number; checksum?: string }): Image {
    const d = this.deps;
    d.policy.assertWritable(ctx);
    const fields = validateCreate(input, ctx, d.policy, d.limits, d.formats);
    return d.db.transaction(() => {
      const id = fields.id ?? randomUUID();
      if (d.images.get(id) !== undefined) throw new ConflictError(`Image ID ${id} already exists!`);
      const now = d.now();
      const image: Image = {
        id,
        name: fields.name,
        disk_format: fields.disk_format,
        container_format: fields.container_format,
        visibility: fields.visibility,
        size: null,
        virtual_size: null,
        status: 'queued',
        checksum: null,
        protected: fields.protected,
        min_ram: fields.min_ram,
        min_disk: fields.min_disk,
        owner: fields.owner,
        os_hidden: fields.os_hidden,
        os_hash_algo: null,
        os_hash_value: null,
        created_at: now,
        updated_at: now,
        deleted: false,
        deleted_at: null,
        properties: withDeclared(fields.properties, declared),
        tags: fields.tags,
        locations: [],
        stores: [],
      };
      d.images.insert(image);
      d.cache.put(image);
      return image;
    })();
  }

  get(ctx: RequestContext, id: string, includeDeleted: boolean): Image {
    if (includeDeleted && ctx.isAdmin) {
      const image = loadImage(this.deps, id);
      if (image !== undefined) return image;
    }
    return loadVisible(this.deps, ctx, id, `No image found with ID ${id}`);
  }

  list(ctx: RequestContext, query: ImageQuery): ImagePage<Image> {
    const d = this.deps;
    let marker: Image | undefined;
    if (query.marker !== undefined) {
      marker = loadImage(d, query.marker);
      if (marker === undefined || marker.deleted) {
        throw new BadRequestError(`No image found with ID ${query.marker}`, { reason: 'marker_not_found' });
      }
      if (!d.policy.canSee(marker, ctx, membershipOf(d, marker, ctx))) {
        throw new ForbiddenError(`Forbidding request, image ${query.marker} not visible`, { reason: 'marker_not_visible' });
      }
    }
    if (query.limit <= 0) return { images: [], full: false };
    const { sql, params } = buildListSql(query, ctx, marker);
    let stmt = this.listStatements.get(sql);
    if (stmt === undefined) {
      stmt = d.db.prepare<unknown[], string>(sql).pluck();
      this.listStatements.set(sql, stmt);
    }
    const ids = stmt.all(...params);
    const images = ids.map((id) => loadImage(d, id)).filter((i): i is Image => i !== undefined);
    return { images, full: ids.length === query.limit };
  }

  update(ctx: RequestContext, id: string, ops: PatchOp[], options: PatchOptions = {}): Image {
    const d = this.deps;
    return d.db.transaction(() => {
      const image = loadVisible(d, ctx, id, `No image found with ID ${id}`);
      d.policy.assertWritable(ctx);
      // applyPatch checks ownership per op, in Glance's order (so `[]` from a non-owner is a 200).
      const { image: next, changed } = applyPatch(image, ops, ctx, d.policy, d.limits, d.formats, options);
      if (!changed) return image;
      return saveImage(d, { ...next, updated_at: d.now() });
    })();
  }

  /** Marks the image deleted and returns it as it was, so the caller can remove its bytes. */
  delete(ctx: RequestContext, id: string): Image {
    const d = this.deps;
    return d.db.transaction(() => {
      const image = loadVisible(d, ctx, id, `Failed to find image ${id} to delete`);
      d.policy.assertWritable(ctx);
      d.policy.assertOwnerOrAdmin(image, ctx, NOT_OWNER);
      if (image.protected) throw new ForbiddenError(`Image ${id} is protected and cannot be deleted.`);
      const now = d.now();
      saveImage(d, { ...image, status: 'deleted', deleted: true, deleted_at: now, updated_at: now });
      d.members.removeAll(id);
      return image;
    })();
  }

  setActive(ctx: RequestContext, id: string, active: boolean): void {
    const d = this.deps;
    d.db.transaction(() => {
      const image = loadVisible(d, ctx, id, `No image found with ID ${id}`);
      d.policy.assertWritable(ctx);
      d.policy.assertOwnerOrAdmin(image, ctx, NOT_OWNER);
      const [from, to, verb] = active
        ? (['deactivated', 'active', 'reactivate'] as const)
        : (['active', 'deactivated', 'deactivate'] as const);
      if (image.status === to) return;
      if (image.status !== from) throw new ForbiddenError(`Not allowed to ${verb} image in status '${image.status}'`);
      saveImage(d, { ...image, status: to, updated_at: d.now() }, false);
    })();
  }

  /** Detaches one store from an image (spec v2 §7.3); the caller removes the bytes. */
  dropStore(ctx: RequestContext, id: string, storeId: string): BlobStore {
    const d = this.deps;
    if (!d.multiStore) throw new NotFoundError('');
    const store = d.stores.get(storeId);
    if (store === undefined) throw new ConflictError(`The selected store ${storeId} is not available on this node.`);
    return d.db.transaction(() => {
      const image = loadVisible(d, ctx, id, `Failed to find image ${id}`);
      d.policy.assertWritable(ctx);
      d.policy.assertOwnerOrAdmin(image, ctx, NOT_OWNER);
      if (image.status !== 'active') {
        throw new ConflictError("It's not allowed to remove image data from store if image status is not 'active'");
      }
      if (!image.stores.includes(storeId)) throw new NotFoundError(`Image ${id} is not stored in store ${storeId}.`);
      if (image.stores.length === 1) {
        throw new ForbiddenError('Cannot delete image data from the only store containing it. Consider deleting the image instead.');
      }
      saveImage(d, { ...image, stores: image.stores.filter((s) => s !== storeId), updated_at: d.now() }, false);
      return store;
    })();
  }

  addTag(ctx: RequestContext, id: string, tag: string): void {
    const d = this.deps;
    validateTag(tag);
    d.db.transaction(() => {
      const image = loadVisible(d, ctx, id, `Image ${id} not found.`);
      d.policy.assertWritable(ctx);
      d.policy.assertOwnerOrAdmin(image, ctx, `Not allowed to update tags for image ${id}.`);
      const tags = image.tags.includes(tag) ? image.tags : [...image.tags, tag];
      const quota = d.limits.tagQuota;
      if (quota >= 0 && tags.length > quota) {
        throw new PayloadTooLargeError(
          `Image tag limit exceeded for image ${id}: The limit has been exceeded on the number of allowed image tags. Attempted: ${tags.length}, Maximum: ${quota}:`,
        );
      }
      saveImage(d, { ...image, tags, updated_at: d.now() }, tags !== image.tags);
    })();
  }

  deleteTag(ctx: RequestContext, id: string, tag: string): void {
    const d = this.deps;
    d.db.transaction(() => {
      const image = loadVisible(d, ctx, id, `Image ${id} not found.`);
      d.policy.assertWritable(ctx);
      d.policy.assertOwnerOrAdmin(image, ctx, `Not allowed to delete tags for image ${id}.`);
      if (!image.tags.includes(tag)) throw new NotFoundError('', { reason: 'tag_not_found' });
      saveImage(d, { ...image, tags: image.tags.filter((t) => t !== tag), updated_at: d.now() });
    })();
  }
}

function withDeclared(properties: Record<string, string>, declared?: { size?: number; checksum?: string }): Record<string, string> {
  if (declared === undefined) return properties;
  const out = { ...properties };
  if (declared.size !== undefined) out[DECLARED_SIZE] = String(declared.size);
  if (declared.checksum !== undefined) out[DECLARED_CHECKSUM] = declared.checksum;
  return out;
}
