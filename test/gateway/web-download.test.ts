import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { Fixture } from '../fetch/fixture-server.js';
import { startHarness, type Harness } from './harness.js';
import { ADMIN, call, lastTask, md5, settled, sha512 } from './import-helpers.js';

const CAP = 64 * 1024;
const DATA = randomBytes(40_000);

async function queuedImage(url: string): Promise<string> {
  const r = await call(url, 'POST', '/v2/images', { disk_format: 'raw', container_format: 'bare' }, ADMIN);
  expect(r.status).toBe(201);
  return r.json.id as string;
}

function webDownload(uri: unknown): Record<string, unknown> {
  return { method: { name: 'web-download', uri } };
}

describe('web-download from a loopback fixture the configuration allows', () => {
  let h: Harness;
  let src: Fixture;
  beforeAll(async () => {
    src = await Fixture.start();
    src
      .route('/img', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': DATA.length });
        res.end(DATA);
      })
      .route('/redirect', (_req, res) => {
        res.writeHead(302, { location: '/img' });
        res.end();
      })
      .route('/loop', (_req, res) => {
        res.writeHead(302, { location: '/loop' });
        res.end();
      })
      .route('/to-metadata', (_req, res) => {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        res.end();
      })
      .route('/big', (_req, res) => {
        // No Content-Length: the cap must be enforced while streaming.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write(randomBytes(CAP));
        res.end(randomBytes(1024));
      });
    h = await startHarness({
      fetch: { ...DEFAULT_CONFIG.fetch, allow: ['127.0.0.1'], ports: null },
      limits: { ...DEFAULT_CONFIG.limits, imageSizeCap: CAP },
    });
  });
  afterAll(async () => {
    await h.stop();
    await src.close();
  });

  it('imports the bytes: active, size, checksum, sha512, bookkeeping cleared, task success', async () => {
    const id = await queuedImage(h.url);
    const r = await call(h.url, 'POST', `/v2/images/${id}/import`, webDownload(src.url('/img')), ADMIN);
    expect(r.status).toBe(202);
    expect(r.text).toBe('');
    const img = await settled(h.url, id);
    expect(img.status).toBe('active');
    expect(img.size).toBe(DATA.length);
    expect(img.virtual_size).toBe(DATA.length);
    expect(img.checksum).toBe(md5(DATA));
    expect(img.os_hash_algo).toBe('sha512');
    expect(img.os_hash_value).toBe(sha512(DATA));
    expect(img.os_glance_importing_to_stores).toBe('');
    expect(img.os_glance_failed_import).toBe('');
    expect(img).not.toHaveProperty('os_glance_import_task');
    expect(img).not.toHaveProperty('stores');
    const task = await lastTask(h.url, id);
    expect(task.status).toBe('success');
    expect(task.result).toEqual({ image_id: id });
    expect(task.input).toEqual({ image_id: id, import_req: webDownload(src.url('/img')), backend: [null] });
    const got = Buffer.from(await (await fetch(`${h.url}/v2/images/${id}/file`)).arrayBuffer());
    expect(got.equals(DATA)).toBe(true);
  });

  it('follows a redirect to the same fixture', async () => {
    const id = await queuedImage(h.url);
    expect((await call(h.url, 'POST', `/v2/images/${id}/import`, webDownload(src.url('/redirect')), ADMIN)).status).toBe(202);
    const img = await settled(h.url, id);
    expect(img.status).toBe('active');
    expect(img.checksum).toBe(md5(DATA));
  });

  it.each([
    ['/loop', /redirects/],
    ['/to-metadata', /not allowed/],
    ['/missing', /not found/i],
  ])('a failed fetch (%s) leaves the image queued, without data, and fails the task', async (path, message) => {
    const id = await queuedImage(h.url);
    expect((await call(h.url, 'POST', `/v2/images/${id}/import`, webDownload(src.url(path)), ADMIN)).status).toBe(202);
    const img = await settled(h.url, id);
    expect(img.status).toBe('queued');
    expect(img.size).toBeNull();
    expect(img.checksum).toBeNull();
    expect(img.os_glance_importing_to_stores).toBe('');
    expect(img.os_glance_failed_import).toBe('');
    expect(img).not.toHaveProperty('os_glance_import_task');
    const task = await lastTask(h.url, id);
    expect(task.status).toBe('failure');
    expect(String(task.message)).toMatch(message);
    expect((await fetch(`${h.url}/v2/images/${id}/file`)).status).toBe(204);
  });

  it('enforces the size cap while streaming: queued again, task says too large', async () => {
    const id = await queuedImage(h.url);
    expect((await call(h.url, 'POST', `/v2/images/${id}/import`, webDownload(src.url('/big')), ADMIN)).status).toBe(202);
    const img = await settled(h.url, id);
    expect(img.status).toBe('queued');
    const task = await lastTask(h.url, id);
    expect(task.status).toBe('failure');
    expect(task.message).toBe('The incoming image is too large: The provided image is too large.');
  });

  it('409 for an active image, 400 without a uri, 409 without formats', async () => {
    const id = await queuedImage(h.url);
    await call(h.url, 'POST', `/v2/images/${id}/import`, webDownload(src.url('/img')), ADMIN);
    await settled(h.url, id);
    const again = await call(h.url, 'POST', `/v2/images/${id}/import`, webDownload(src.url('/img')), ADMIN);
    expect(again.status).toBe(409);
    expect(again.json.message).toContain('Image with status active cannot be target for import');
    const fresh = await queuedImage(h.url);
    const noUri = await call(h.url, 'POST', `/v2/images/${fresh}/import`, { method: { name: 'web-download' } }, ADMIN);
    expect(noUri.status).toBe(400);
    expect(noUri.json.message).toContain('URI for web-download does not pass filtering: undefined');
    const bare = (await call(h.url, 'POST', '/v2/images', {}, ADMIN)).json.id as string;
    const noFormats = await call(h.url, 'POST', `/v2/images/${bare}/import`, webDownload(src.url('/img')), ADMIN);
    expect([noFormats.status, noFormats.json.message]).toEqual([409, expect.stringContaining("'container_format' needs to be set before import")]);
    const containerOnly = (await call(h.url, 'POST', '/v2/images', { container_format: 'bare' }, ADMIN)).json.id as string;
    const noDisk = await call(h.url, 'POST', `/v2/images/${containerOnly}/import`, webDownload(src.url('/img')), ADMIN);
    expect([noDisk.status, noDisk.json.message]).toEqual([409, expect.stringContaining("'disk_format' needs to be set before import")]);
  });

  it('all_stores_must_succeed=false needs several stores: 400', async () => {
    const id = await queuedImage(h.url);
    const r = await call(h.url, 'POST', `/v2/images/${id}/import`, { ...webDownload(src.url('/img')), all_stores_must_succeed: false }, ADMIN);
    expect(r.status).toBe(400);
    expect(r.json.message).toContain(`All_stores_must_succeed can only be set with enabled_backends ${src.url('/img')}`);
  });

  it('does not offer copy-image with a single store', async () => {
    const r = await call(h.url, 'GET', '/v2/info/import');
    expect((r.json['import-methods'] as { value: string[] }).value).toEqual(['glance-direct', 'web-download']);
  });
});

describe('web-download with the default fetch policy (SSRF guard)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  it.each([
    'http://127.0.0.1/img',
    'http://10.1.2.3/img',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/img',
    'http://2130706433/img',
    'http://192.168.0.1:8080/img',
    'file:///etc/passwd',
    'ftp://example.com/img',
  ])('refuses %s with 400 before anything is reserved', async (uri) => {
    const id = await queuedImage(h.url);
    const r = await call(h.url, 'POST', `/v2/images/${id}/import`, webDownload(uri), ADMIN);
    expect(r.status).toBe(400);
    expect(r.json.message).toContain(`URI for web-download does not pass filtering: ${uri}`);
    const img = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, ADMIN)).json;
    expect(img.status).toBe('queued');
    expect(img).not.toHaveProperty('os_glance_import_task');
    expect((await call(h.url, 'GET', `/v2/images/${id}/tasks`, undefined, ADMIN)).json).toEqual({ tasks: [] });
  });
});

describe('web-download from a source that stalls', () => {
  let h: Harness;
  let src: Fixture;
  beforeAll(async () => {
    src = await Fixture.start();
    // Headers and a first chunk, then nothing: only the transfer time limit ends this.
    src.route('/stall', (_req, res) => {
      res.writeHead(200, { 'content-length': 10_000 });
      res.write(Buffer.alloc(100));
    });
    h = await startHarness({ fetch: { ...DEFAULT_CONFIG.fetch, allow: ['127.0.0.1'], ports: null, totalTimeoutMs: 300 } });
  });
  afterAll(async () => {
    await h.stop();
    await src.close();
  });

  it('gives up at the configured total timeout: queued again, the task names the timeout', async () => {
    const id = await queuedImage(h.url);
    expect((await call(h.url, 'POST', `/v2/images/${id}/import`, webDownload(src.url('/stall')), ADMIN)).status).toBe(202);
    const img = await settled(h.url, id);
    expect(img.status).toBe('queued');
    const task = await lastTask(h.url, id);
    expect(task.status).toBe('failure');
    expect(String(task.message)).toContain('(timeout)');
    expect(await src.waitForNoSockets()).toBe(0);
  });
});

describe('imports count against the owner storage quota', () => {
  let h: Harness;
  let src: Fixture;
  const P1 = { 'X-Project-Id': 'p1', 'X-Roles': 'member' };
  beforeAll(async () => {
    src = await Fixture.start();
    src.route('/img', (_req, res) => {
      res.writeHead(200, { 'content-length': DATA.length });
      res.end(DATA);
    });
    h = await startHarness({
      fetch: { ...DEFAULT_CONFIG.fetch, allow: ['127.0.0.1'], ports: null },
      limits: { ...DEFAULT_CONFIG.limits, userStorageQuota: 50_000 },
    });
  });
  afterAll(async () => {
    await h.stop();
    await src.close();
  });

  it('web-download and glance-direct stop at the quota; the first import fits', async () => {
    const create = async () => (await call(h.url, 'POST', '/v2/images', { disk_format: 'raw', container_format: 'bare' }, P1)).json.id as string;
    const first = await create();
    expect((await call(h.url, 'POST', `/v2/images/${first}/import`, webDownload(src.url('/img')), P1)).status).toBe(202);
    expect((await settled(h.url, first, P1)).status).toBe('active');
    const second = await create();
    expect((await call(h.url, 'POST', `/v2/images/${second}/import`, webDownload(src.url('/img')), P1)).status).toBe(202);
    expect((await settled(h.url, second, P1)).status).toBe('queued');
    const task = await lastTask(h.url, second);
    expect(task.status).toBe('failure');
    expect(String(task.message)).toContain('Image exceeds the storage quota');
    // Staging does not count against the quota; importing the staged bytes does.
    const third = await create();
    expect((await call(h.url, 'PUT', `/v2/images/${third}/stage`, DATA, P1)).status).toBe(204);
    expect((await call(h.url, 'POST', `/v2/images/${third}/import`, { method: { name: 'glance-direct' } }, P1)).status).toBe(202);
    expect((await settled(h.url, third, P1)).status).toBe('queued');
    expect(String((await lastTask(h.url, third)).message)).toContain('Image exceeds the storage quota');
  });
});
