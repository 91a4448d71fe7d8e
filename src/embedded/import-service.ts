import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../core/context.js';
import type { ImportRequest } from '../core/core.js';
import { BadRequestError, ConflictError } from '../core/errors.js';
import type { Image } from '../core/image.js';
import { ingest } from '../store/ingest.js';
import type { BlobStore } from '../store/store.js';
import { loadVisible, saveImage, type EmbeddedDeps } from './deps.js';
import { assertFormats } from './data-service.js';
import { FetchRefusedError } from '../fetch/errors.js';
import { fetchErrorToCore } from './fetch-errors.js';

const TASK_TTL_MS = 48 * 3600 * 1000;
const LOCK = 'os_glance_import_task';

/**
 * Interoperable import (spec v2 §7.2). glance-direct moves staged bytes into a store in the
 * background, re-hashing them on the way so the active image's hashes are of stored bytes.
 */
export class ImportService {
  private readonly abort = new AbortController();

  constructor(private readonly deps: EmbeddedDeps) {}

  async start(ctx: RequestContext, id: string, req: ImportRequest, signal: AbortSignal): Promise<void> {
    const d = this.deps;
    const method = req.method.name;
    if (!d.importMethods.includes(method)) throw new BadRequestError(`Unknown import method name '${method}'.`);
    for (const key of ['all_stores_must_succeed', 'all_stores'] as const) {
      if (req[key] !== undefined && typeof req[key] !== 'boolean') {
        throw new BadRequestError(`'${key}' must be boolean value only`);
      }
    }
    const uri = method === 'web-download' ? await this.checkUri(req.method.uri, signal) : undefined;
    const { image, store, taskId } = d.db.transaction(() => {
      const image = loadVisible(d, ctx, id, `No image found with ID ${id}`);
      if (image.status === 'active') throw new ConflictError('Image with status active cannot be target for import');
      if (uri === undefined && image.status !== 'uploading') {
        throw new ConflictError("Image needs to be staged before 'glance-direct' method can be used");
      }
      if (uri !== undefined && image.status !== 'queued') {
        throw new ConflictError(`Image needs to be in 'queued' state to use '${method}' method`);
      }
      assertFormats(image, 'before import', ConflictError);
      d.policy.assertWritable(ctx);
      d.policy.assertOwnerOrAdmin(image, ctx, 'You do not own this image');
      if (image.properties[LOCK] !== undefined && image.properties[LOCK] !== '') throw new ConflictError('Image has active task');
      const store = this.targetStore(req);
      if (req.all_stores_must_succeed === false && !d.multiStore) {
        throw new BadRequestError('All_stores_must_succeed can only be set with enabled_backends None');
      }
      const taskId = randomUUID();
      const now = d.now();
      const storeList = d.multiStore ? store.id : '';
      const next = saveImage(d, {
        ...image,
        status: 'importing',
        properties: { ...image.properties, [LOCK]: taskId, os_glance_importing_to_stores: storeList, os_glance_failed_import: '' },
        updated_at: now,
      });
      d.tasks.insert({
        id: taskId,
        type: 'api_image_import',
        status: 'processing',
        owner: ctx.projectId,
        image_id: id,
        user_id: ctx.userId,
        request_id: ctx.requestId,
        input: { image_id: id, import_req: importReqOf(req), backend: [d.multiStore ? store.id : null] },
        created_at: now,
      });
      return { image: next, store, taskId };
    })();
    const job = this.run(image, store, taskId, req.failureStatus ?? 'queued', uri).catch((e: unknown) => {
      d.logger.error({ err: e, image_id: id, task_id: taskId }, 'import failed unexpectedly');
    });
    d.background.add(job);
    void job.finally(() => d.background.delete(job));
  }

  close(): void {
    this.abort.abort();
  }

  private targetStore(req: ImportRequest): BlobStore {
    const d = this.deps;
    if (!d.multiStore) return d.stores.get(d.defaultStoreId)!;
    if (req.all_stores === true && (req.stores !== undefined || req.storeHeader !== undefined)) {
      throw new BadRequestError("All_stores parameter can't be used with x-image-meta-store header or stores parameter");
    }
    if (req.stores !== undefined && req.storeHeader !== undefined) {
      throw new BadRequestError("Stores parameter and x-image-meta-store header can't be both specified");
    }
    const wanted = req.stores?.[0] ?? req.storeHeader ?? d.defaultStoreId;
    const store = d.stores.get(wanted);
    if (store === undefined) throw new ConflictError(`The selected store ${wanted} is not available on this node.`);
    return store;
  }

  /** web-download's URL must pass the fetch guard now, so a refusal is a synchronous 400. */
  private async checkUri(uri: unknown, signal: AbortSignal): Promise<string> {
    if (typeof uri !== 'string' || uri === '') throw new BadRequestError(`URI for web-download does not pass filtering: ${String(uri)}`);
    try {
      await this.deps.fetcher.check(uri, signal);
    } catch (e) {
      if (e instanceof FetchRefusedError) throw new BadRequestError(`URI for web-download does not pass filtering: ${e.url}`);
      throw e;
    }
    return uri;
  }

  private async run(image: Image, store: BlobStore, taskId: string, failStatus: 'queued' | 'killed', uri: string | undefined): Promise<void> {
    const d = this.deps;
    const signal = this.abort.signal;
    let writer;
    try {
      // glance-direct reads the staged bytes; web-download streams straight from the URL.
      const source = uri === undefined ? await d.staging.open(image.id, null, signal) : (await d.fetcher.open(uri, signal)).body;
      writer = await store.begin(image.id, signal);
      const result = await ingest(source, writer, {
        maxBytes: d.limits.imageSizeCap,
        tooLarge: () => new BadRequestError('The incoming image is too large: The provided image is too large.'),
        signal,
        hashers: d.hashPool,
      });
      await writer.commit(signal);
      const done = d.db.transaction(() => {
        const cur = d.images.get(image.id);
        if (cur === undefined || cur.deleted || cur.status !== 'importing') return false;
        const { [LOCK]: _lock, ...props } = cur.properties;
        saveImage(d, {
          ...cur,
          status: 'active',
          size: result.size,
          checksum: result.md5,
          os_hash_algo: 'sha512',
          os_hash_value: result.sha512,
          virtual_size: cur.disk_format === 'raw' && cur.container_format === 'bare' && result.size > 0 ? result.size : null,
          stores: [store.id],
          properties: { ...props, os_glance_importing_to_stores: '' },
          updated_at: d.now(),
        });
        d.db.prepare('DELETE FROM staging WHERE image_id = ?').run(image.id);
        const now = d.now();
        d.tasks.finish(taskId, 'success', { image_id: image.id }, `Copied ${Math.floor(result.size / 1048576)} MiB`, now, now + TASK_TTL_MS);
        return true;
      })();
      if (!done) await store.remove(image.id, AbortSignal.timeout(30_000)).catch(() => undefined);
      await d.staging.remove(image.id, AbortSignal.timeout(30_000)).catch(() => undefined);
      if (!done) this.fail(image.id, taskId, store.id, 'Image was deleted during import', failStatus);
    } catch (e) {
      await writer?.abort();
      const cause = fetchErrorToCore(e, uri ?? '');
      this.fail(image.id, taskId, store.id, (cause as Error).message, failStatus);
      await d.staging.remove(image.id, AbortSignal.timeout(30_000)).catch(() => undefined);
    }
  }

  private fail(id: string, taskId: string, storeId: string, message: string, status: 'queued' | 'killed'): void {
    const d = this.deps;
    d.db.transaction(() => {
      const cur = d.images.get(id);
      if (cur !== undefined && !cur.deleted && cur.status === 'importing') {
        const { [LOCK]: _lock, ...props } = cur.properties;
        saveImage(d, {
          ...cur,
          status,
          size: null,
          virtual_size: null,
          properties: { ...props, os_glance_importing_to_stores: '', os_glance_failed_import: d.multiStore ? storeId : '' },
          updated_at: d.now(),
        });
      }
      d.db.prepare('DELETE FROM staging WHERE image_id = ?').run(id);
      const now = d.now();
      d.tasks.finish(taskId, 'failure', null, message, now, now + TASK_TTL_MS);
    })();
  }
}

function importReqOf(req: ImportRequest): Record<string, unknown> {
  const { storeHeader: _h, failureStatus: _f, ...body } = req;
  return body;
}
