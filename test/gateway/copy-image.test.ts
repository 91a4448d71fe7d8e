import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { Fixture } from '../fetch/fixture-server.js';
import { startHarness, type Harness } from './harness.js';
import { ADMIN, OWNER, blobOf, call, lastTask, md5, settled, sha512, type Json } from './import-helpers.js';

const STORES = [
  { id: 'fast', path: 'fast', description: 'SSD' },
  { id: 'cheap', path: 'cheap' },
  { id: 'archive', path: 'archive' },
  { id: 'web', path: 'web', readOnly: true },
  // Its root is turned into a plain file after start-up, so every write into it fails.
  { id: 'broken', path: 'broken' },
];
const PATHS: Record<string, string> = Object.fromEntries(STORES.map((s) => [s.id, s.path]));

describe('copy-image and multi-store imports', () => {
  let h: Harness;
  let src: Fixture;
  let release: (() => void) | null = null;
  let release2: (() => void) | null = null;
  let release3: (() => void) | null = null;
  const big = randomBytes(9 * 1048576 + 1000);
  const slow = randomBytes(3000);

  beforeAll(async () => {
    src = await Fixture.start();
    // Sends half, then waits for the test to let it finish: the import is observably in flight.
    src.route('/slow', (_req, res: ServerResponse) => {
      res.writeHead(200, { 'content-length': slow.length });
      res.write(slow.subarray(0, 1500));
      release = () => res.end(slow.subarray(1500));
    });
    src.route('/big-slow', (_req, res: ServerResponse) => {
      res.writeHead(200, { 'content-length': big.length });
      res.write(big.subarray(0, 9 * 1048576));
      release3 = () => res.end(big.subarray(9 * 1048576));
    });
    src.route('/slow2', (_req, res: ServerResponse) => {
      res.writeHead(200, { 'content-length': slow.length });
      res.write(slow.subarray(0, 1500));
      release2 = () => res.end(slow.subarray(1500));
    });
    h = await startHarness({
      stores: STORES,
      defaultStore: 'fast',
      importMethods: ['glance-direct', 'web-download', 'copy-image'],
      fetch: { ...DEFAULT_CONFIG.fetch, allow: ['127.0.0.1'], ports: null },
    });
    await writeFile(join(h.dataDir, 'broken'), 'not a directory');
  });
  afterAll(async () => {
    await h.stop();
    await src.close();
  });

  /** An active image in `fast` owned by p1, with its bytes. */
  async function activeImage(): Promise<{ id: string; data: Buffer }> {
    const data = randomBytes(20_000);
    const c = await call(h.url, 'POST', '/v2/images', { disk_format: 'raw', container_format: 'bare', visibility: 'shared' }, OWNER);
    const id = c.json.id as string;
    expect((await call(h.url, 'PUT', `/v2/images/${id}/file`, data, OWNER)).status).toBe(204);
    return { id, data };
  }

  async function stagedImage(data: Buffer): Promise<string> {
    const c = await call(h.url, 'POST', '/v2/images', { disk_format: 'raw', container_format: 'bare' }, OWNER);
    const id = c.json.id as string;
    expect((await call(h.url, 'PUT', `/v2/images/${id}/stage`, data, OWNER)).status).toBe(204);
    return id;
  }

  async function expectBlob(id: string, store: string, data: Buffer): Promise<void> {
    const blob = await blobOf(h.dataDir, PATHS[store]!, id);
    expect(md5(blob)).toBe(md5(data));
    expect(sha512(blob)).toBe(sha512(data));
  }

  function hasBlob(id: string, store: string): boolean {
    return existsSync(join(h.dataDir, PATHS[store]!, id.slice(0, 2), id));
  }

  it('offers copy-image in /v2/info/import and marks the read-only store', async () => {
    const r = await call(h.url, 'GET', '/v2/info/import', undefined, OWNER);
    expect((r.json['import-methods'] as { value: string[] }).value).toEqual(['glance-direct', 'web-download', 'copy-image']);
    const stores = (await call(h.url, 'GET', '/v2/info/stores')).json.stores as Json[];
    expect(stores.find((s) => s.id === 'web')).toEqual({ id: 'web', 'read-only': 'true' });
  });

  it('copies the bytes into another store, verified by their hashes; stores and bookkeeping updated', async () => {
    const { id, data } = await activeImage();
    const before = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, OWNER)).json;
    const r = await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, stores: ['cheap'] }, ADMIN);
    expect(r.status).toBe(202);
    const img = await settled(h.url, id);
    expect(img.status).toBe('active');
    expect(img.stores).toBe('fast,cheap');
    expect(img.checksum).toBe(before.checksum);
    expect(img.os_hash_value).toBe(before.os_hash_value);
    expect(img.size).toBe(data.length);
    expect(img.os_glance_importing_to_stores).toBe('');
    expect(img.os_glance_failed_import).toBe('');
    await expectBlob(id, 'fast', data);
    await expectBlob(id, 'cheap', data);
    const task = await lastTask(h.url, id);
    expect(task.status).toBe('success');
    expect(task.input).toEqual({ image_id: id, import_req: { method: { name: 'copy-image' }, stores: ['cheap'] }, backend: ['cheap'] });
    // The copy serves downloads once the first store is gone.
    expect((await call(h.url, 'DELETE', `/v2/stores/fast/${id}`, undefined, OWNER)).status).toBe(204);
    const got = Buffer.from(await (await fetch(`${h.url}/v2/images/${id}/file`, { headers: OWNER })).arrayBuffer());
    expect(got.equals(data)).toBe(true);
  });

  it('is admin only: the owner gets 403 and nothing changes', async () => {
    const { id } = await activeImage();
    const r = await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, stores: ['cheap'] }, OWNER);
    expect(r.status).toBe(403);
    expect(r.json.message).toContain('You are not authorized to complete copy_image action.');
    const img = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, OWNER)).json;
    expect(img.stores).toBe('fast');
    expect(img).not.toHaveProperty('os_glance_import_task');
  });

  it('refuses non-active images, stores already holding the image, unknown and read-only stores', async () => {
    const queued = (await call(h.url, 'POST', '/v2/images', { disk_format: 'raw', container_format: 'bare' }, ADMIN)).json.id;
    const q = await call(h.url, 'POST', `/v2/images/${queued}/import`, { method: { name: 'copy-image' }, stores: ['cheap'] }, ADMIN);
    expect([q.status, q.json.message]).toEqual([409, expect.stringContaining('Only images with status active can be targeted for copying')]);
    const { id } = await activeImage();
    const cases: Array<[Json, Record<string, string>, number, string]> = [
      [{ stores: ['fast'] }, {}, 400, "Image is already present at store 'fast'"],
      [{ stores: ['nope'] }, {}, 409, 'Store for identifier nope not found'],
      [{ stores: ['web'] }, {}, 409, 'Store web is read-only'],
      [{ stores: ['cheap'], all_stores: true }, {}, 400, "All_stores parameter can't be used with x-image-meta-store header or stores parameter"],
      [{ all_stores: true }, { 'X-Image-Meta-Store': 'cheap' }, 400, "All_stores parameter can't be used"],
      [{ stores: ['cheap'] }, { 'X-Image-Meta-Store': 'cheap' }, 400, "Stores parameter and x-image-meta-store header can't be both specified"],
      [{ all_stores: 'yes' }, {}, 400, "'all_stores' must be boolean value only"],
      [{ all_stores_must_succeed: 1 }, {}, 400, "'all_stores_must_succeed' must be boolean value only"],
    ];
    for (const [extra, headers, status, message] of cases) {
      const r = await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, ...extra }, { ...ADMIN, ...headers });
      expect([JSON.stringify(extra), r.status, r.json.message]).toEqual([JSON.stringify(extra), status, expect.stringContaining(message)]);
    }
    const img = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, ADMIN)).json;
    expect(img.stores).toBe('fast');
    expect((await call(h.url, 'GET', `/v2/images/${id}/tasks`, undefined, ADMIN)).json).toEqual({ tasks: [] });
  });

  it('all_stores copies into every writable store it is missing from, tolerating the broken one', async () => {
    const { id, data } = await activeImage();
    const r = await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, all_stores: true, all_stores_must_succeed: false }, ADMIN);
    expect(r.status).toBe(202);
    const img = await settled(h.url, id);
    expect(img.status).toBe('active');
    expect(img.stores).toBe('fast,cheap,archive');
    expect(img.os_glance_failed_import).toBe('broken');
    expect(img.os_glance_importing_to_stores).toBe('');
    await expectBlob(id, 'cheap', data);
    await expectBlob(id, 'archive', data);
    expect(hasBlob(id, 'web')).toBe(false);
    const task = await lastTask(h.url, id);
    expect(task.input).toMatchObject({ backend: ['cheap', 'archive', 'broken'] });
    expect(task.status).toBe('success');
  });

  it('with all_stores_must_succeed (default) one failing store undoes the copies of the others', async () => {
    const { id, data } = await activeImage();
    const r = await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, stores: ['cheap', 'broken'] }, ADMIN);
    expect(r.status).toBe(202);
    const img = await settled(h.url, id);
    expect(img.status).toBe('active');
    expect(img.stores).toBe('fast');
    expect(img.os_glance_failed_import).toBe('broken');
    expect(img.os_glance_importing_to_stores).toBe('');
    expect(hasBlob(id, 'cheap')).toBe(false);
    await expectBlob(id, 'fast', data);
    expect((await lastTask(h.url, id)).status).toBe('failure');
    // A later successful copy into the failed store's neighbour clears nothing it did not touch.
    const again = await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, stores: ['cheap'] }, ADMIN);
    expect(again.status).toBe(202);
    const after = await settled(h.url, id);
    expect(after.stores).toBe('fast,cheap');
    expect(after.os_glance_failed_import).toBe('broken');
  });

  it('all_stores skips the stores that already hold the image', async () => {
    const { id } = await activeImage();
    await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, stores: ['cheap', 'archive'] }, ADMIN);
    await settled(h.url, id);
    // 'broken' is writable as far as the configuration knows, so it is the only target left.
    const r = await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, all_stores: true, all_stores_must_succeed: false }, ADMIN);
    expect(r.status).toBe(202);
    const img = await settled(h.url, id);
    expect(img.stores).toBe('fast,cheap,archive');
    expect(img.os_glance_failed_import).toBe('broken');
    const tasks = (await call(h.url, 'GET', `/v2/images/${id}/tasks`, undefined, ADMIN)).json.tasks as Json[];
    expect(tasks).toHaveLength(2);
    expect(tasks[1]!.input).toMatchObject({ backend: ['broken'] });
  });

  it('refuses to copy bytes that no longer match the image checksums', async () => {
    const { id, data } = await activeImage();
    // Same size, different content: only the hashes can tell.
    const corrupt = Buffer.from(data);
    corrupt[100] = corrupt[100]! ^ 0xff;
    await writeFile(join(h.dataDir, 'fast', id.slice(0, 2), id), corrupt);
    expect((await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, stores: ['cheap'] }, ADMIN)).status).toBe(202);
    const img = await settled(h.url, id);
    expect(img.stores).toBe('fast');
    expect(img.os_glance_failed_import).toBe('cheap');
    expect(hasBlob(id, 'cheap')).toBe(false);
    const task = await lastTask(h.url, id);
    expect(task.status).toBe('failure');
    expect(task.message).toContain('do not match');
  });

  it('glance-direct into two stores: both hold the same bytes; importing list shrinks to ""', async () => {
    const data = randomBytes(10_000);
    const id = await stagedImage(data);
    const r = await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'glance-direct' }, stores: ['cheap', 'archive'] }, OWNER);
    expect(r.status).toBe(202);
    const img = await settled(h.url, id, OWNER);
    expect(img.status).toBe('active');
    expect(img.stores).toBe('cheap,archive');
    expect(img.checksum).toBe(md5(data));
    expect(img.os_glance_importing_to_stores).toBe('');
    await expectBlob(id, 'cheap', data);
    await expectBlob(id, 'archive', data);
    expect(hasBlob(id, 'fast')).toBe(false);
  });

  it('glance-direct honours X-Image-Meta-Store, and a failing store fails the import back to queued', async () => {
    const data = randomBytes(5000);
    const id = await stagedImage(data);
    expect((await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'glance-direct' } }, { ...OWNER, 'X-Image-Meta-Store': 'archive' })).status).toBe(202);
    expect((await settled(h.url, id, OWNER)).stores).toBe('archive');

    const failing = await stagedImage(data);
    expect((await call(h.url, 'POST', `/v2/images/${failing}/import`, { method: { name: 'glance-direct' }, stores: ['cheap', 'broken'] }, OWNER)).status).toBe(202);
    const img = await settled(h.url, failing, OWNER);
    expect(img.status).toBe('queued');
    expect(img).not.toHaveProperty('stores');
    expect(img.size).toBeNull();
    expect(img.checksum).toBeNull();
    expect(img.os_glance_failed_import).toBe('broken');
    expect(img.os_glance_importing_to_stores).toBe('');
    expect(hasBlob(failing, 'cheap')).toBe(false);
  });

  it('all_stores_must_succeed=false: active with the stores that worked', async () => {
    const data = randomBytes(5000);
    const id = await stagedImage(data);
    const body = { method: { name: 'glance-direct' }, stores: ['broken', 'cheap'], all_stores_must_succeed: false };
    expect((await call(h.url, 'POST', `/v2/images/${id}/import`, body, OWNER)).status).toBe(202);
    const img = await settled(h.url, id, OWNER);
    expect(img.status).toBe('active');
    expect(img.stores).toBe('cheap');
    expect(img.os_glance_failed_import).toBe('broken');
    await expectBlob(id, 'cheap', data);
  });

  it('shows the os_glance_* progress while a web-download runs, and locks out a second import', async () => {
    const c = await call(h.url, 'POST', '/v2/images', { disk_format: 'raw', container_format: 'bare' }, OWNER);
    const id = c.json.id as string;
    const body = { method: { name: 'web-download', uri: src.url('/slow') }, stores: ['fast', 'cheap'] };
    expect((await call(h.url, 'POST', `/v2/images/${id}/import`, body, OWNER)).status).toBe(202);
    for (let i = 0; i < 400 && release === null; i++) await new Promise((r) => setTimeout(r, 25));
    const during = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, OWNER)).json;
    expect(during.status).toBe('importing');
    expect(during.os_glance_importing_to_stores).toBe('cheap,fast');
    expect(during.os_glance_failed_import).toBe('');
    const task = await lastTask(h.url, id);
    expect(during.os_glance_import_task).toBe(task.id);
    expect(task.status).toBe('processing');
    const second = await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'web-download', uri: src.url('/slow') } }, OWNER);
    expect(second.status).toBe(409);
    release!();
    const img = await settled(h.url, id, OWNER);
    expect(img.status).toBe('active');
    expect(img.stores).toBe('fast,cheap');
    expect(img.os_glance_importing_to_stores).toBe('');
    expect(img.checksum).toBe(md5(slow));
    await expectBlob(id, 'fast', slow);
    await expectBlob(id, 'cheap', slow);
    expect(existsSync(join(h.dataDir, 'staging', id.slice(0, 2), id))).toBe(false);
  });
  it('an image deleted while its import runs keeps no bytes anywhere; the task fails', async () => {
    const c = await call(h.url, 'POST', '/v2/images', { disk_format: 'raw', container_format: 'bare' }, OWNER);
    const id = c.json.id as string;
    const body = { method: { name: 'web-download', uri: src.url('/slow2') }, stores: ['fast', 'cheap'] };
    expect((await call(h.url, 'POST', `/v2/images/${id}/import`, body, OWNER)).status).toBe(202);
    for (let i = 0; i < 400 && release2 === null; i++) await new Promise((r) => setTimeout(r, 25));
    expect((await call(h.url, 'DELETE', `/v2/images/${id}`, undefined, OWNER)).status).toBe(204);
    release2!();
    // The image's task list is gone with the image (404): read the task row itself.
    const db = new Database(join(h.dataDir, 'glance-gateway.sqlite'), { readonly: true });
    let task: { status: string; message: string } | undefined;
    try {
      for (let i = 0; i < 400; i++) {
        task = db.prepare<[string], { status: string; message: string }>('SELECT status, message FROM tasks WHERE image_id = ?').get(id);
        if (task?.status !== 'processing') break;
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      db.close();
    }
    expect(task).toEqual({ status: 'failure', message: 'Image has been deleted, aborting import.' });
    for (const store of ['fast', 'cheap']) expect(hasBlob(id, store)).toBe(false);
    expect(existsSync(join(h.dataDir, 'staging', id.slice(0, 2), id))).toBe(false);
    expect((await call(h.url, 'GET', `/v2/images/${id}`, undefined, ADMIN)).status).toBe(404);
  });
  it("reports progress in the task message while bytes move ('Copied N MiB')", async () => {
    const c = await call(h.url, 'POST', '/v2/images', { disk_format: 'raw', container_format: 'bare' }, OWNER);
    const id = c.json.id as string;
    const body = { method: { name: 'web-download', uri: src.url('/big-slow') }, stores: ['cheap'] };
    expect((await call(h.url, 'POST', `/v2/images/${id}/import`, body, OWNER)).status).toBe(202);
    let message = '';
    for (let i = 0; i < 800 && message !== 'Copied 8 MiB'; i++) {
      message = String((await lastTask(h.url, id)).message);
      if (message !== 'Copied 8 MiB') await new Promise((r) => setTimeout(r, 25));
    }
    expect(message).toBe('Copied 8 MiB');
    expect((await lastTask(h.url, id)).status).toBe('processing');
    release3!();
    const img = await settled(h.url, id, OWNER);
    expect([img.status, img.stores, img.checksum]).toEqual(['active', 'cheap', md5(big)]);
    expect((await lastTask(h.url, id)).message).toBe('Copied 9 MiB');
  });

});

describe('copy-image when every store already holds the image', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      stores: [{ id: 'a', path: 'a' }, { id: 'b', path: 'b' }],
      defaultStore: 'a',
      importMethods: ['copy-image'],
    });
  });
  afterAll(() => h.stop());

  it('all_stores answers 202 and starts nothing', async () => {
    const id = (await call(h.url, 'POST', '/v2/images', { disk_format: 'raw', container_format: 'bare' }, ADMIN)).json.id as string;
    expect((await call(h.url, 'PUT', `/v2/images/${id}/file`, Buffer.from('abc'), ADMIN)).status).toBe(204);
    const first = await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, stores: ['b'] }, ADMIN);
    expect([first.status, first.text]).toEqual([202, '']);
    expect((await settled(h.url, id)).stores).toBe('a,b');
    const r = await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'copy-image' }, all_stores: true }, ADMIN);
    expect(r.status).toBe(202);
    const tasks = (await call(h.url, 'GET', `/v2/images/${id}/tasks`, undefined, ADMIN)).json.tasks as Json[];
    expect(tasks).toHaveLength(1);
    const img = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, ADMIN)).json;
    expect(img).not.toHaveProperty('os_glance_import_task');
    // Only copy-image is enabled: the other methods are unknown here.
    const gd = await call(h.url, 'POST', `/v2/images/${id}/import`, { method: { name: 'glance-direct' } }, ADMIN);
    expect([gd.status, gd.json.message]).toEqual([400, expect.stringContaining("Unknown import method name 'glance-direct'.")]);
  });
});
