import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../core/context.js';
import type { ImportRequest } from '../core/core.js';
import { BadRequestError, ConflictError } from '../core/errors.js';
import type { Image } from '../core/image.js';
import { FetchRefusedError } from '../fetch/errors.js';
import { loadVisible, saveImage, type EmbeddedDeps } from './deps.js';
import { ImportJob, IMPORT_LOCK, type ImportPlan } from './import-job.js';
import { importTargets, mergeStoreList } from './import-stores.js';

/** Glance: a lock is stale after 60 minutes without progress of its task (120 if still pending). */
const STALE_LOCK_MS = 60 * 60 * 1000;
const STALE_PENDING_LOCK_MS = 120 * 60 * 1000;

/**
 * Interoperable import (spec v2 §7.2): validates the request, takes the image's import lock
 * (`os_glance_import_task`), records the task and marks the target stores, then runs the
 * transfer (import-job.ts) in the background. The request answers 202 before any byte moves.
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
    // Glance checks the URI last; it is checked (DNS included) only for a caller who may import
    // into this image, before anything is reserved, so a refused URL is a 400, never a task.
    let uri: string | undefined;
    if (method === 'web-download') {
      d.db.transaction(() => this.admissible(ctx, id, req))();
      uri = await this.checkUri(req.method.uri, signal);
    }
    const plan = d.db.transaction((): ImportPlan | null => {
      const { image, stolen, targets } = this.admissible(ctx, id, req);
      if (targets.length === 0) return null;
      const taskId = randomUUID();
      const now = d.now();
      const listed = d.multiStore ? targets : [];
      const properties = { ...image.properties };
      if (stolen !== null) {
        // Glance's cleanup of a stale lock: the stores it was importing to count as failed.
        properties.os_glance_failed_import = mergeStoreList(properties.os_glance_failed_import, (properties.os_glance_importing_to_stores ?? '').split(','));
        properties.os_glance_importing_to_stores = '';
      }
      properties[IMPORT_LOCK] = taskId;
      properties.os_glance_importing_to_stores = mergeStoreList(properties.os_glance_importing_to_stores, listed);
      properties.os_glance_failed_import = mergeStoreList(properties.os_glance_failed_import, listed, true);
      const next = saveImage(d, {
        ...image,
        status: method === 'copy-image' ? image.status : 'importing',
        properties,
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
        input: { image_id: id, import_req: importReqOf(req), backend: d.multiStore ? targets : [null] },
        created_at: now,
      });
      return {
        image: next,
        taskId,
        method,
        uri,
        targets,
        mustSucceed: req.all_stores_must_succeed !== false,
        failStatus: req.failureStatus ?? 'queued',
      };
    })();
    if (plan === null) return;
    const job = new ImportJob(d, plan, this.abort.signal)
      .run()
      .catch((e: unknown) => d.logger.error({ err: e, image_id: id, task_id: plan.taskId }, 'import failed unexpectedly'));
    d.background.add(job);
    void job.finally(() => d.background.delete(job));
  }

  close(): void {
    this.abort.abort();
  }

  /** Everything Glance checks before it takes the lock, in its order (spec v2 §7.2 rows 7-18). */
  private admissible(ctx: RequestContext, id: string, req: ImportRequest): { image: Image; stolen: string | null; targets: string[] } {
    const d = this.deps;
    const method = req.method.name;
    const image = loadVisible(d, ctx, id, `No image found with ID ${id}`);
    this.assertImportable(image, method);
    for (const key of ['container_format', 'disk_format'] as const) {
      if (!image[key]) throw new ConflictError(`'${key}' needs to be set before import`);
    }
    if (method === 'copy-image') {
      d.policy.enforce('copy_image', ctx, { owner: image.owner });
    } else {
      d.policy.assertWritable(ctx);
      d.policy.assertOwnerOrAdmin(image, ctx, 'You do not own this image');
    }
    const stolen = this.lockHolder(image);
    return { image, stolen, targets: importTargets(d, req, image) };
  }

  /** Glance's status checks, in its order (spec v2 §7.2 rows 8-11). */
  private assertImportable(image: Image, method: string): void {
    if (image.status === 'active' && method !== 'copy-image') {
      throw new ConflictError('Image with status active cannot be target for import');
    }
    if (image.status !== 'active' && method === 'copy-image') {
      throw new ConflictError('Only images with status active can be targeted for copying');
    }
    if (image.status !== 'queued' && method === 'web-download') {
      throw new ConflictError(`Image needs to be in 'queued' state to use '${method}' method`);
    }
    if (image.status !== 'uploading' && method === 'glance-direct') {
      throw new ConflictError("Image needs to be staged before 'glance-direct' method can be used");
    }
  }

  /**
   * The import lock: 409 while another import holds it and is alive. A lock whose task is gone,
   * finished, or silent for too long is stale and may be taken over; returns its task id then.
   */
  private lockHolder(image: Image): string | null {
    const holder = image.properties[IMPORT_LOCK];
    if (holder === undefined || holder === '') return null;
    const task = this.deps.db
      .prepare<[string], { status: string; updated_at: number }>('SELECT status, updated_at FROM tasks WHERE id = ?')
      .get(holder);
    const age = this.deps.now() - (task?.updated_at ?? 0);
    const alive =
      task !== undefined &&
      ((task.status === 'processing' && age < STALE_LOCK_MS) || (task.status === 'pending' && age < STALE_PENDING_LOCK_MS));
    if (alive) throw new ConflictError('Image has active task');
    return holder;
  }

  /** web-download's URL must pass the fetch guard (scheme, port, every resolved address). */
  private async checkUri(uri: unknown, signal: AbortSignal): Promise<string> {
    if (typeof uri !== 'string' || uri === '') throw new BadRequestError(`URI for web-download does not pass filtering: ${String(uri)}`);
    try {
      await this.deps.fetcher.check(uri, signal);
    } catch (e) {
      if (e instanceof FetchRefusedError) throw new BadRequestError(`URI for web-download does not pass filtering: ${uri}`);
      throw e;
    }
    return uri;
  }
}

function importReqOf(req: ImportRequest): Record<string, unknown> {
  const { storeHeader: _h, failureStatus: _f, ...body } = req;
  return body;
}
