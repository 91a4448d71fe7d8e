import { pipeline, Transform, type Readable } from 'node:stream';
import { IMPORT_TASK, type Image } from '../core/image.js';
import { ingest } from '../store/ingest.js';
import type { IngestResult } from '../store/store.js';
import { saveImage, type EmbeddedDeps } from './deps.js';
import { fetchErrorToCore } from './fetch-errors.js';
import { byteLimit, type ByteLimit } from './data-service.js';
import { mergeStoreList } from './import-stores.js';
import { inspectVirtualSize, readAll } from './virtual-size.js';

export const IMPORT_LOCK = IMPORT_TASK;
const TASK_TTL_MS = 48 * 3600 * 1000;
const CLEANUP_TIMEOUT_MS = 30_000;
/** How often a running import reports `Copied N MiB` in its task message. */
const PROGRESS_STEP = 8 * 1048576;

export interface ImportPlan {
  image: Image;
  taskId: string;
  method: string;
  uri: string | undefined;
  /** Store ids, in the order they are written. */
  targets: string[];
  /** all_stores_must_succeed (default true): one failed store fails the whole import. */
  mustSucceed: boolean;
  /** What a failed non-copy import leaves: v2 `queued`, v1 copy-from `killed`. */
  failStatus: 'queued' | 'killed';
}

/** The image was deleted, or its lock taken over: stop, and keep nothing of what was written. */
class JobAborted extends Error {}

/** A failure that ends the import (rather than one store of several). */
class ImportFailed extends Error {
  constructor(
    message: string,
    readonly store: string | null,
  ) {
    super(message);
  }
}

type Opener = () => Promise<Readable>;

/**
 * One import task (Glance's api_image_import flow): streams the bytes from their source into each
 * target store in turn, hashing them on the way. Every store gets exactly the bytes of the first
 * (or, for copy-image, of the image): a mismatch fails that store. Bookkeeping as Glance keeps it:
 * `os_glance_importing_to_stores` shrinks as stores finish, failed ones go to
 * `os_glance_failed_import`, and the lock `os_glance_import_task` is dropped at the end.
 */
export class ImportJob {
  /** Stores this job committed blobs to (removed again if the import fails as a whole). */
  private readonly committed: string[] = [];
  private expected: IngestResult | null = null;
  private staged = false;
  private limit: ByteLimit | undefined;
  private readonly copy: boolean;

  constructor(
    private readonly d: EmbeddedDeps,
    private readonly plan: ImportPlan,
    private readonly signal: AbortSignal,
  ) {
    this.copy = plan.method === 'copy-image';
  }

  async run(): Promise<void> {
    const { targets, mustSucceed } = this.plan;
    try {
      const open = await this.source();
      for (const [i, storeId] of targets.entries()) {
        // Glance: the image turns active with the last store, or with the first that succeeds
        // when failures are tolerated; copy-image never changes the status.
        const setActive = !this.copy && (!mustSucceed || i === targets.length - 1);
        try {
          await this.writeTo(storeId, open, setActive);
        } catch (e) {
          if (e instanceof JobAborted || this.signal.aborted) throw e;
          const message = describe(e, this.plan.uri);
          if (mustSucceed) throw new ImportFailed(message, storeId);
          this.d.logger.warn({ err: e, image_id: this.plan.image.id, store: storeId }, 'import into one store failed; continuing');
          this.storeFailed(storeId);
        }
      }
      // Cleaned up while the lock is still held: once it is released, nothing is left to do.
      await this.dropStaging();
      this.finish();
    } catch (e) {
      await this.fail(e);
    }
  }

  private async dropStaging(): Promise<void> {
    if (this.copy && !this.staged) return;
    await this.d.staging.remove(this.plan.image.id, AbortSignal.timeout(CLEANUP_TIMEOUT_MS)).catch(() => undefined);
  }

  /** Where the bytes come from; sets `expected` when they are known in advance. */
  private async source(): Promise<Opener> {
    const { d, plan, signal } = this;
    const id = plan.image.id;
    if (plan.method === 'glance-direct') {
      const row = d.db
        .prepare<[string], { size: number; checksum: string; os_hash_value: string }>(
          'SELECT size, checksum, os_hash_value FROM staging WHERE image_id = ?',
        )
        .get(id);
      if (row !== undefined) this.expected = { size: row.size, md5: row.checksum, sha512: row.os_hash_value };
      return () => d.staging.open(id, null, signal);
    }
    if (this.copy) {
      const from = plan.image.stores.find((s) => d.stores.has(s));
      if (from === undefined || plan.image.checksum === null || plan.image.os_hash_value === null || plan.image.size === null) {
        throw new ImportFailed('The image has no data in a configured store to copy from.', null);
      }
      this.expected = { size: plan.image.size, md5: plan.image.checksum, sha512: plan.image.os_hash_value };
      const store = d.stores.get(from)!;
      return () => store.open(id, null, signal);
    }
    // web-download: straight into the store when there is one; with several, fetched into
    // staging first (as Glance always does) so that every store gets the same bytes.
    const uri = plan.uri!;
    const fetch = async (): Promise<Readable> => (await d.fetcher.open(uri, signal)).body;
    if (plan.targets.length === 1) return fetch;
    const writer = await d.staging.begin(id, signal);
    this.staged = true;
    try {
      this.expected = await ingest(await fetch(), writer, this.ingestOptions());
      await writer.commit(signal);
    } catch (e) {
      await writer.abort();
      throw new ImportFailed(describe(e, uri), null);
    }
    return () => d.staging.open(id, null, signal);
  }

  private ingestOptions() {
    // The owner's storage quota binds imported bytes as it binds uploads (a copy adds no usage).
    const { maxBytes, tooLarge } = this.copy
      ? byteLimit(this.d, null, 0)
      : (this.limit ??= byteLimit(this.d, this.plan.image.owner, this.plan.image.size ?? 0));
    return { maxBytes, tooLarge, signal: this.signal, hashers: this.d.hashPool };
  }

  /** The image row if this job still holds its lock. */
  private current(): Image {
    const cur = this.d.images.get(this.plan.image.id);
    if (cur === undefined || cur.deleted || cur.properties[IMPORT_LOCK] !== this.plan.taskId) {
      throw new JobAborted('Image has been deleted, aborting import.');
    }
    return cur;
  }

  private async writeTo(storeId: string, open: Opener, setActive: boolean): Promise<void> {
    const { d, signal } = this;
    const id = this.plan.image.id;
    this.current();
    const store = d.stores.get(storeId)!;
    const writer = await store.begin(id, signal);
    let result: IngestResult;
    try {
      result = await ingest(this.reporting(await open()), writer, this.ingestOptions());
      const want = this.expected;
      if (want !== null && (want.size !== result.size || want.md5 !== result.md5 || want.sha512 !== result.sha512)) {
        throw new Error(`The data written to store ${storeId} do not match the image's size and checksums`);
      }
      await writer.commit(signal);
    } catch (e) {
      await writer.abort();
      throw e;
    }
    this.committed.push(storeId);
    this.expected ??= result;
    const first = this.committed.length === 1 && !this.copy;
    const virtualSize = first
      ? await inspectVirtualSize(this.plan.image.disk_format, this.plan.image.container_format, result.size, (o, n) =>
          store.open(id, { start: o, end: o + n - 1 }, signal).then((s) => readAll(s, n)),
        )
      : null;
    d.db.transaction(() => {
      const cur = this.current();
      const next: Image = {
        ...cur,
        stores: cur.stores.includes(storeId) ? cur.stores : [...cur.stores, storeId],
        properties: { ...cur.properties, os_glance_importing_to_stores: mergeStoreList(cur.properties.os_glance_importing_to_stores, [storeId], true) },
        updated_at: d.now(),
      };
      if (first) {
        Object.assign(next, { size: result.size, virtual_size: virtualSize, checksum: result.md5, os_hash_algo: 'sha512', os_hash_value: result.sha512 });
      }
      if (setActive && cur.status === 'importing') next.status = 'active';
      saveImage(d, next);
      d.tasks.setStatus(this.plan.taskId, 'processing', copied(result.size), d.now());
    })();
  }

  /** The bytes of `source`, with the task's message following their progress as Glance's does. */
  private reporting(source: Readable): Readable {
    let seen = 0;
    let next = PROGRESS_STEP;
    const meter = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        seen += chunk.length;
        if (seen >= next) {
          next = seen - (seen % PROGRESS_STEP) + PROGRESS_STEP;
          this.d.tasks.setStatus(this.plan.taskId, 'processing', copied(seen), this.d.now());
        }
        done(null, chunk);
      },
    });
    // Errors and destruction travel both ways between the source and the meter.
    return pipeline(source, meter, () => undefined);
  }

  private storeFailed(storeId: string): void {
    const d = this.d;
    d.db.transaction(() => {
      const cur = this.current();
      const props = cur.properties;
      saveImage(d, {
        ...cur,
        properties: {
          ...props,
          os_glance_importing_to_stores: mergeStoreList(props.os_glance_importing_to_stores, [storeId], true),
          os_glance_failed_import: mergeStoreList(props.os_glance_failed_import, d.multiStore ? [storeId] : []),
        },
        updated_at: d.now(),
      });
    })();
  }

  private finish(): void {
    const d = this.d;
    d.db.transaction(() => {
      const cur = this.current();
      if (!this.copy && cur.status !== 'active') throw new ImportFailed('None of the uploads finished!', null);
      const { [IMPORT_LOCK]: _lock, ...props } = cur.properties;
      props.os_glance_importing_to_stores = mergeStoreList(props.os_glance_importing_to_stores, this.plan.targets, true);
      saveImage(d, { ...cur, properties: props, updated_at: d.now() });
      d.db.prepare('DELETE FROM staging WHERE image_id = ?').run(cur.id);
      const now = d.now();
      d.tasks.finish(this.plan.taskId, 'success', { image_id: cur.id }, copied(this.expected?.size ?? 0), now, now + TASK_TTL_MS);
    })();
  }

  /**
   * Undoes the import as Glance's flow revert does: the stores written by this job lose the
   * image again, the failing store is listed as failed, a non-copy import goes back to queued.
   */
  private async fail(e: unknown): Promise<void> {
    const d = this.d;
    const { plan } = this;
    const message = e instanceof ImportFailed || e instanceof JobAborted ? e.message : describe(e, plan.uri);
    if (!(e instanceof ImportFailed) && !(e instanceof JobAborted) && !this.signal.aborted) {
      d.logger.error({ err: e, image_id: plan.image.id, task_id: plan.taskId }, 'import failed');
    }
    const failedStore = e instanceof ImportFailed ? e.store : null;
    const ours = (cur: Image | undefined): cur is Image => cur !== undefined && !cur.deleted && cur.properties[IMPORT_LOCK] === plan.taskId;
    // First the image stops naming the stores this job wrote, then their bytes go, and only then
    // is the lock released: a client that sees the lock gone sees the final state.
    const stillUsed = d.db.transaction((): string[] => {
      const cur = d.images.get(plan.image.id);
      if (ours(cur)) saveImage(d, { ...cur, stores: cur.stores.filter((s) => !this.committed.includes(s)), updated_at: d.now() });
      // Whoever took the lock over may have recorded the same stores: their blobs stay.
      const after = d.images.get(plan.image.id);
      return after === undefined || after.deleted ? [] : after.stores;
    })();
    for (const storeId of this.committed.filter((s) => !stillUsed.includes(s))) {
      await d.stores.get(storeId)?.remove(plan.image.id, AbortSignal.timeout(CLEANUP_TIMEOUT_MS)).catch(() => undefined);
    }
    await this.dropStaging();
    d.db.transaction(() => {
      const cur = d.images.get(plan.image.id);
      if (ours(cur)) {
        const { [IMPORT_LOCK]: _lock, ...props } = cur.properties;
        props.os_glance_importing_to_stores = mergeStoreList(props.os_glance_importing_to_stores, plan.targets, true);
        props.os_glance_failed_import = mergeStoreList(props.os_glance_failed_import, d.multiStore && failedStore !== null ? [failedStore] : []);
        const next: Image = { ...cur, properties: props, updated_at: d.now() };
        if (!this.copy && cur.status === 'importing') {
          Object.assign(next, { status: plan.failStatus, size: null, virtual_size: null, checksum: null, os_hash_algo: null, os_hash_value: null });
        }
        saveImage(d, next);
      }
      d.db.prepare('DELETE FROM staging WHERE image_id = ?').run(plan.image.id);
      const now = d.now();
      d.tasks.finish(plan.taskId, 'failure', null, message, now, now + TASK_TTL_MS);
    })();
  }
}

function copied(bytes: number): string {
  return `Copied ${Math.floor(bytes / 1048576)} MiB`;
}

function describe(e: unknown, uri: string | undefined): string {
  const mapped = fetchErrorToCore(e, uri ?? '');
  return mapped instanceof Error ? mapped.message : String(mapped);
}
