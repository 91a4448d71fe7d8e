import { loadImage, saveImage, type EmbeddedDeps } from './deps.js';

export interface RecoveryReport {
  requeued: number;
  tempFilesRemoved: number;
  orphanBlobsRemoved: number;
  tasksFailed: number;
}

/**
 * Start-up repair after a crash: transfers that were in flight are returned to `queued`,
 * temp files are removed, and blobs without an image that owns them are garbage-collected.
 * Runs before the server accepts requests, so nothing races with it.
 */
export async function recover(deps: EmbeddedDeps, signal: AbortSignal, taskTtlMs = 48 * 3600 * 1000): Promise<RecoveryReport> {
  const report: RecoveryReport = { requeued: 0, tempFilesRemoved: 0, orphanBlobsRemoved: 0, tasksFailed: 0 };
  const d = deps;
  d.db.transaction(() => {
    const now = d.now();
    const stuck = d.db
      .prepare<[], { id: string }>("SELECT id FROM images WHERE deleted = 0 AND status IN ('saving', 'uploading', 'importing')")
      .all();
    for (const { id } of stuck) {
      const image = d.images.get(id)!;
      const { os_glance_import_task: _lock, ...properties } = image.properties;
      if (image.status === 'importing') {
        properties.os_glance_importing_to_stores = '';
        properties.os_glance_failed_import = image.properties.os_glance_importing_to_stores ?? '';
      }
      saveImage(d, { ...image, status: 'queued', size: null, virtual_size: null, properties, updated_at: now });
      report.requeued++;
    }
    d.db.prepare('DELETE FROM staging').run();
    for (const task of d.tasks.unfinished()) {
      d.tasks.finish(task.id, 'failure', null, 'Task was interrupted by a restart of the service', now, now + taskTtlMs);
      report.tasksFailed++;
      // A tasks-API import owns the image it made: an interrupted one leaves no image behind
      // (its bytes become orphans, removed below).
      if (task.type === 'import' && task.image_id !== null) {
        const image = d.images.get(task.image_id);
        if (image !== undefined && !image.deleted) {
          saveImage(d, { ...image, status: 'deleted', deleted: true, deleted_at: now, updated_at: now });
          d.members.removeAll(task.image_id);
        }
      }
    }
  })();

  for (const store of [...d.stores.values(), d.staging]) {
    report.tempFilesRemoved += await store.cleanTemp(signal);
    for await (const key of store.keys(signal)) {
      const image = loadImage(d, key);
      const owned =
        store !== d.staging &&
        image !== undefined &&
        !image.deleted &&
        ['active', 'deactivated'].includes(image.status) &&
        image.stores.includes(store.id);
      if (!owned) {
        await store.remove(key, signal);
        report.orphanBlobsRemoved++;
      }
    }
  }
  return report;
}
