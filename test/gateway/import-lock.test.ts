import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Config } from '../../src/config/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { ADMIN, call, settled } from './import-helpers.js';

/**
 * The import lock (`os_glance_import_task`): a live task keeps other imports out (409); a lock
 * whose task is gone, finished or silent for over an hour is stale and is taken over, its
 * in-progress stores then counting as failed. Locks are planted straight into the database, so
 * the gateway runs without its image cache.
 */
describe('the os_glance_import_task lock', () => {
  let dataDir: string;
  let gw: Gateway;
  let url: string;
  let db: Database.Database;
  const ids: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gg-lock-'));
    const config: Config = {
      ...DEFAULT_CONFIG,
      port: 0,
      dataDir,
      stores: [{ id: 'fast', path: 'fast' }, { id: 'cheap', path: 'cheap' }, { id: 'slow', path: 'slow' }],
      defaultStore: 'fast',
      importMethods: ['copy-image'],
      cacheSize: 0,
    };
    const first = await startGateway(config, pino({ level: 'silent' }));
    const base = `http://127.0.0.1:${first.port}`;
    for (let i = 0; i < 3; i++) {
      const id = (await call(base, 'POST', '/v2/images', { disk_format: 'raw', container_format: 'bare' }, ADMIN)).json.id as string;
      expect((await call(base, 'PUT', `/v2/images/${id}/file`, Buffer.from(`bytes ${i}`), ADMIN)).status).toBe(204);
      ids.push(id);
    }
    await first.close();
    gw = await startGateway(config, pino({ level: 'silent' }));
    url = `http://127.0.0.1:${gw.port}`;
    db = new Database(join(dataDir, 'glance-gateway.sqlite'));
  });
  afterAll(async () => {
    db?.close();
    await gw?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  function plantLock(imageId: string, taskId: string, importing: string): void {
    const row = db.prepare<[string], { properties: string }>('SELECT properties FROM images WHERE id = ?').get(imageId)!;
    const properties = {
      ...(JSON.parse(row.properties) as Record<string, string>),
      os_glance_import_task: taskId,
      os_glance_importing_to_stores: importing,
      os_glance_failed_import: '',
    };
    db.prepare('UPDATE images SET properties = ? WHERE id = ?').run(JSON.stringify(properties), imageId);
  }

  function plantTask(taskId: string, imageId: string, status: string, updatedAt: number): void {
    db.prepare(
      `INSERT INTO tasks (id, type, status, owner, image_id, user_id, request_id, input, result, message, created_at, updated_at)
       VALUES (?, 'api_image_import', ?, 'admin', ?, NULL, NULL, NULL, NULL, '', ?, ?)`,
    ).run(taskId, status, imageId, updatedAt, updatedAt);
  }

  it('a live import task holds the lock: 409 "Image has active task", nothing changes', async () => {
    const [id] = ids;
    const task = randomUUID();
    plantTask(task, id!, 'processing', Date.now());
    plantLock(id!, task, 'slow');
    const r = await call(url, 'POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, stores: ['cheap'] }, ADMIN);
    expect([r.status, r.json.message]).toEqual([409, expect.stringContaining('Image has active task')]);
    const img = (await call(url, 'GET', `/v2/images/${id}`, undefined, ADMIN)).json;
    expect(img.os_glance_import_task).toBe(task);
    expect(img.stores).toBe('fast');
  });

  it('a task silent for over an hour is stale: taken over, its stores listed as failed', async () => {
    const id = ids[1]!;
    const task = randomUUID();
    plantTask(task, id, 'processing', Date.now() - 2 * 3600 * 1000);
    plantLock(id, task, 'cheap,slow');
    const r = await call(url, 'POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, stores: ['cheap'] }, ADMIN);
    expect(r.status).toBe(202);
    const img = await settled(url, id);
    expect(img.stores).toBe('fast,cheap');
    // cheap was retried by the new import (and so left the failed list); slow was not.
    expect(img.os_glance_failed_import).toBe('slow');
    expect(img.os_glance_importing_to_stores).toBe('');
    expect(img).not.toHaveProperty('os_glance_import_task');
  });

  it('a lock naming no task is stale too', async () => {
    const id = ids[2]!;
    const ghost = randomUUID();
    plantLock(id, ghost, '');
    expect((await call(url, 'GET', `/v2/images/${id}`, undefined, ADMIN)).json.os_glance_import_task).toBe(ghost);
    const r = await call(url, 'POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, stores: ['slow'] }, ADMIN);
    expect(r.status).toBe(202);
    expect((await settled(url, id)).stores).toBe('fast,slow');
  });
});
