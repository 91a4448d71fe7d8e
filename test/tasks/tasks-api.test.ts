/** /v2/tasks (spec v2 §10): import from a container or a URL, export to a container, lists. */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { ADMIN, API_LIMITS, as, createImage, startApi, UUID_RE, V2_TIME_RE, uploadImage, type Api } from '../support/api-gateway.js';
import { createTask, putObject, waitForTask } from './helpers.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
let api: Api;
let source: Server;
let sourceUrl: string;
const REMOTE = randomBytes(20_000);

beforeAll(async () => {
  source = createServer((req, res) => {
    if (req.url === '/img.qcow2') res.writeHead(200, { 'Content-Length': String(REMOTE.length) }).end(REMOTE);
    else if (req.url === '/big.raw') res.writeHead(200).end(randomBytes(API_LIMITS.imageSizeCap + 1));
    else res.writeHead(404).end('nope');
  });
  await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
  const addr = source.address();
  sourceUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  api = await startApi({ fetch: { ...DEFAULT_CONFIG.fetch, allow: ['127.0.0.1/32'], ports: null } });
});
afterAll(async () => {
  await api?.close();
  await new Promise((r) => source.close(r));
});

describe('import from a container (Rackspace form)', () => {
  it('pending → success; the image is active with the object bytes; task fields as Glance', async () => {
    const data = randomBytes(30_000);
    await putObject(api, 'exports', 'my-image.vhd', data);
    const t = await createTask(api, { type: 'import', input: { image_properties: { name: 'My excellent image' }, import_from: 'exports/my-image.vhd' } });
    expect(Object.keys(t)).toEqual(['id', 'input', 'type', 'status', 'owner', 'message', 'result', 'created_at', 'updated_at', 'self', 'schema', 'request_id', 'user_id'].filter((k) => k !== 'user_id' || t.user_id !== undefined));
    expect(t).toMatchObject({ type: 'import', status: 'pending', owner: 'admin', message: '', result: null, schema: '/v2/schemas/task' });
    expect(t.id).toMatch(UUID_RE);
    expect(t.self).toBe(`/v2/tasks/${t.id}`);
    expect(t.created_at).toMatch(V2_TIME_RE);
    const done = await waitForTask(api, t.id);
    expect(done.status, done.message).toBe('success');
    expect(done.expires_at).toMatch(V2_TIME_RE);
    const ttl = Date.parse(done.expires_at) - Date.parse(done.updated_at);
    expect(ttl).toBe(48 * 3600 * 1000);
    const img = (await api.call('GET', `/v2/images/${done.result.image_id}`)).json();
    expect(img).toMatchObject({ name: 'My excellent image', status: 'active', size: data.length, checksum: md5(data), disk_format: 'vhd', container_format: 'bare' });
    const dl = await api.call('GET', `/v2/images/${img.id}/file`);
    expect(dl.body.equals(data)).toBe(true);
    // The image's task list shows it too (raw rows, spec v2 §5.7).
    const it2 = (await api.call('GET', `/v2/images/${img.id}/tasks`)).json();
    expect(it2.tasks.map((x: { id: string }) => x.id)).toContain(t.id);
  });

  it('missing object → failure, no image created', async () => {
    const before = (await api.call('GET', '/v2/images?limit=1000')).json().images.length;
    const t = await createTask(api, { type: 'import', input: { image_properties: { name: 'x' }, import_from: 'exports/nothing.vhd' } });
    const done = await waitForTask(api, t.id);
    expect(done).toMatchObject({ status: 'failure', result: null });
    expect(done.message).toBe('Cannot import from exports/nothing.vhd: Object exports/nothing.vhd not found.');
    expect((await api.call('GET', '/v2/images?limit=1000')).json().images.length).toBe(before);
  });

  it('bad container name and traversal → failure with a clear message', async () => {
    for (const from of ['../etc/passwd', 'a..b/../../x', '.hidden/x']) {
      const t = await createTask(api, { type: 'import', input: { import_from: from } });
      const done = await waitForTask(api, t.id);
      expect(done.status).toBe('failure');
      expect(done.message).toMatch(/^Cannot import: Invalid (container|object) name/);
    }
  });

  it('image larger than the size cap (URL) or the storage quota (object) → failure, no image left', async () => {
    const big = await createTask(api, { type: 'import', input: { import_from: `${sourceUrl}/big.raw`, import_from_format: 'raw', image_properties: { name: 'big' } } });
    const done = await waitForTask(api, big.id);
    expect(done.status).toBe('failure');
    expect(done.message).toContain('too large');
    expect((await api.call('GET', '/v2/images?name=big')).json().images).toEqual([]);

    const small = await startApi({}, { userStorageQuota: 1000 });
    try {
      await putObject(small, 'c', 'two-k.raw', randomBytes(2000));
      const t = await createTask(small, { type: 'import', input: { import_from: 'c/two-k.raw', image_properties: { name: 'over' } } });
      const d2 = await waitForTask(small, t.id);
      expect(d2.status).toBe('failure');
      expect(d2.message).toContain('storage quota');
      const list = (await small.call('GET', '/v2/images')).json().images;
      expect(list).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('invalid image_properties → failure with the create message; nothing left', async () => {
    await putObject(api, 'exports', 'p.raw', randomBytes(100));
    const t = await createTask(api, { type: 'import', input: { image_properties: { name: 'bad', disk_format: 'floppy' }, import_from: 'exports/p.raw' } });
    const done = await waitForTask(api, t.id);
    expect(done.status).toBe('failure');
    expect(done.message).toContain('floppy');
  });
});

describe('import from a URL (Glance form)', () => {
  it('success with import_from_format and image_properties', async () => {
    const t = await createTask(api, {
      type: 'import',
      input: { import_from: `${sourceUrl}/img.qcow2`, import_from_format: 'qcow2', image_properties: { name: 'web', container_format: 'bare' } },
    });
    const done = await waitForTask(api, t.id);
    expect(done.status, done.message).toBe('success');
    const img = (await api.call('GET', `/v2/images/${done.result.image_id}`)).json();
    expect(img).toMatchObject({ status: 'active', checksum: md5(REMOTE), disk_format: 'qcow2' });
  });

  it('missing import_from_format / image_properties → failure with Glance messages', async () => {
    const a = await createTask(api, { type: 'import', input: { import_from: `${sourceUrl}/img.qcow2`, image_properties: {} } });
    expect(await waitForTask(api, a.id)).toMatchObject({ status: 'failure', message: "Input does not contain 'import_from_format' field" });
    const b = await createTask(api, { type: 'import', input: { import_from: `${sourceUrl}/img.qcow2`, import_from_format: 'qcow2' } });
    expect(await waitForTask(api, b.id)).toMatchObject({ status: 'failure', message: "Input does not contain 'image_properties' field" });
  });

  it('remote 404 → failure; no image left', async () => {
    const t = await createTask(api, { type: 'import', input: { import_from: `${sourceUrl}/gone`, import_from_format: 'raw', image_properties: { name: 'gone' } } });
    const done = await waitForTask(api, t.id);
    expect(done.status).toBe('failure');
    expect(done.message).toContain('not found');
  });

  it.each([
    ['', 'Invalid location: None'],
    ['file:///etc/passwd', 'File based imports are not allowed. Please use a non-local source of image data.'],
    ['ftp://example.com/x', 'The given uri is not valid.'],
  ])('import_from %j → 400', async (from, message) => {
    const r = await api.call('POST', '/v2/tasks', { body: { type: 'import', input: { import_from: from } } });
    expect(r.status).toBe(400);
    expect(r.text).toContain(message);
  });

  it('a URL the fetch guard refuses → 400 at creation', async () => {
    const strict = await startApi();
    try {
      const r = await strict.call('POST', '/v2/tasks', { body: { type: 'import', input: { import_from: 'http://127.0.0.1:8080/x', import_from_format: 'raw', image_properties: {} } } });
      expect(r.status).toBe(400);
      expect(r.text).toContain('URI for legacy import task does not pass filtering: http://127.0.0.1:8080/x');
    } finally {
      await strict.close();
    }
  });
});

describe('export to a container', () => {
  it('writes <id>.<disk_format> whose md5 is the image checksum', async () => {
    const data = randomBytes(12_345);
    const img = await createImage(api, { name: 'to-export', disk_format: 'vhd', container_format: 'ovf' });
    await uploadImage(api, img.id, data);
    await api.call('PUT', '/containers/exports');
    const t = await createTask(api, { type: 'export', input: { image_uuid: img.id, receiving_swift_container: 'exports' } });
    expect(t.image_id).toBe(img.id);
    const done = await waitForTask(api, t.id);
    expect(done.status, done.message).toBe('success');
    expect(done.result).toEqual({ export_location: `exports/${img.id}.vhd` });
    const obj = await api.call('GET', `/containers/exports/${img.id}.vhd`);
    expect(obj.status).toBe(200);
    expect(md5(obj.body)).toBe(md5(data));
  });

  it('stored bytes that no longer match the checksum → failure, no object written', async () => {
    const data = randomBytes(5000);
    const img = await createImage(api, { name: 'rot', disk_format: 'raw', container_format: 'bare' });
    await uploadImage(api, img.id, data);
    // Bit rot in the store: same size, different bytes.
    const blob = join(api.config.dataDir, 'images', img.id.slice(0, 2), img.id);
    const rotten = Buffer.from(data);
    rotten[100] = rotten[100]! ^ 0xff;
    writeFileSync(blob, rotten);
    await api.call('PUT', '/containers/exports');
    const t = await createTask(api, { type: 'export', input: { image_uuid: img.id, receiving_swift_container: 'exports' } });
    const done = await waitForTask(api, t.id);
    expect(done.status).toBe('failure');
    expect(done.message).toBe(
      `Checksum mismatch exporting image ${img.id}: the stored bytes have md5 ${md5(rotten)} but the image checksum is ${md5(data)}; nothing was written to exports.`,
    );
    expect((await api.call('HEAD', `/containers/exports/${img.id}.raw`)).status).toBe(404);
    expect(readdirSync(join(api.config.dataDir, 'containers', '.tmp'))).toEqual([]);
  });

  it('missing container, unknown image, queued image, bad container name → failure', async () => {
    const data = randomBytes(100);
    const img = await createImage(api, { name: 'e', disk_format: 'raw', container_format: 'bare' });
    const queued = await createImage(api, { name: 'q', disk_format: 'raw', container_format: 'bare' });
    await uploadImage(api, img.id, data);
    const cases: Array<[object, RegExp]> = [
      [{ image_uuid: img.id, receiving_swift_container: 'nope' }, /Container nope not found/],
      [{ image_uuid: '00000000-0000-4000-8000-000000000000', receiving_swift_container: 'exports' }, /No image found/],
      [{ image_uuid: queued.id, receiving_swift_container: 'exports' }, /only active images/],
      [{ image_uuid: img.id, receiving_swift_container: '../x' }, /Invalid container name/],
    ];
    for (const [input, message] of cases) {
      const t = await createTask(api, { type: 'export', input });
      const done = await waitForTask(api, t.id);
      expect(done.status).toBe('failure');
      expect(done.message).toMatch(message);
    }
  });
});

describe('create validation', () => {
  it.each<[object, string]>([
    [{ input: {} }, "Task 'type' is required"],
    [{ type: 'import' }, "Task 'input' is required"],
    [{ type: 'bogus', input: {} }, "is not one of"],
    [{ type: 'import', input: {}, extra: 1 }, 'Additional properties are not allowed'],
    [{ type: 'import', input: [] }, "is not of type 'null', 'object'"],
    [{ type: 'export', input: { image_uuid: 'x' } }, "Input does not contain 'receiving_swift_container' field"],
  ])('%j → 400', async (body, message) => {
    const r = await api.call('POST', '/v2/tasks', { body });
    expect(r.status).toBe(400);
    expect(r.text).toContain(message);
  });
});

describe('access, list, show', () => {
  it('non-admin → 403 tasks_api_access on every call', async () => {
    for (const [m, p] of [['GET', '/v2/tasks'], ['POST', '/v2/tasks'], ['GET', '/v2/tasks/00000000-0000-4000-8000-000000000000']] as const) {
      const r = await api.call(m, p, { headers: as('proj1'), body: m === 'POST' ? { type: 'import', input: {} } : undefined });
      expect(r.status, `${m} ${p}`).toBe(403);
      expect(r.text).toContain('You are not authorized to complete tasks_api_access action.');
    }
  });

  it('unknown task → 404; DELETE → 405 Allow: GET', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const r = await api.call('GET', `/v2/tasks/${id}`);
    expect(r.status).toBe(404);
    expect(r.text).toContain(`Could not find task ${id}`);
    const del = await api.call('DELETE', `/v2/tasks/${id}`);
    expect(del.status).toBe(405);
    expect(del.header('allow')).toBe('GET');
    expect(del.text).toContain('They are auto deleted');
  });

  it('list: stubs, filters, sort, limit/marker/next, bad params', async () => {
    const r = await api.call('GET', '/v2/tasks?limit=2&sort_dir=asc');
    expect(r.status).toBe(200);
    const page = r.json();
    expect(page.schema).toBe('/v2/schemas/tasks');
    expect(page.first).toBe('/v2/tasks?limit=2&sort_dir=asc');
    expect(page.tasks).toHaveLength(2);
    expect(Object.keys(page.tasks[0]).slice(0, 8)).toEqual(['id', 'type', 'status', 'owner', 'created_at', 'updated_at', 'self', 'schema']);
    expect(page.next).toBe(`/v2/tasks?limit=2&sort_dir=asc&marker=${page.tasks[1].id}`);
    const all = (await api.call('GET', '/v2/tasks?limit=1000&sort_dir=asc')).json().tasks.map((t: { id: string }) => t.id);
    const second = (await api.call('GET', page.next)).json();
    expect(second.tasks.map((t: { id: string }) => t.id)).toEqual(all.slice(2, 4));
    const desc = (await api.call('GET', '/v2/tasks?limit=1000')).json().tasks.map((t: { id: string }) => t.id);
    expect(desc).toEqual([...all].reverse());
    const failures = (await api.call('GET', '/v2/tasks?status=failure&limit=1000')).json().tasks;
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((t: { status: string }) => t.status === 'failure')).toBe(true);
    const exports = (await api.call('GET', '/v2/tasks?type=export&limit=1000')).json().tasks;
    expect(exports.length).toBeGreaterThan(0);
    expect(exports.every((t: { type: string }) => t.type === 'export')).toBe(true);
    for (const [q, msg] of [
      ['limit=x', 'limit param must be an integer'],
      ['limit=-1', 'limit param must be positive'],
      ['marker=nope', 'Invalid marker format'],
      ['marker=00000000-0000-4000-8000-000000000000', 'Invalid marker'],
      ['sort_key=bogus', 'Sort key supplied was not valid.'],
      ['sort_dir=up', 'Invalid sort direction: up'],
      ['status=done', 'Invalid status value: done'],
      ['type=api_image_import', 'Invalid type value: api_image_import'],
    ]) {
      const b = await api.call('GET', `/v2/tasks?${q}`);
      expect(b.status, q).toBe(400);
      expect(b.text).toContain(msg);
    }
  });
});

describe('owner access (config) and expiry', () => {
  it('ownerAccess: a project sees only its own tasks and imports from its own containers', async () => {
    const open = await startApi({ tasks: { ...DEFAULT_CONFIG.tasks, ownerAccess: true } });
    try {
      const P1 = as('proj1');
      const P2 = as('proj2');
      const data = randomBytes(500);
      await putObject(open, 'c1', 'a.raw', data, P1);
      const t = await createTask(open, { type: 'import', input: { import_from: 'c1/a.raw', image_properties: { name: 'mine' } } }, P1);
      // proj2 cannot read proj1's object: same name resolves in its own project.
      const t2 = await createTask(open, { type: 'import', input: { import_from: 'c1/a.raw', image_properties: { name: 'theirs' } } }, P2);
      expect((await open.call('GET', `/v2/tasks/${t.id}`, { headers: P2 })).status).toBe(404);
      const done2 = await waitForTask(open, t2.id, P2);
      expect(done2.status).toBe('failure');
      expect(done2.message).toContain('Container c1 not found');
      expect((await waitForTask(open, t.id, P1)).status).toBe('success');
      expect((await open.call('GET', '/v2/tasks', { headers: P1 })).json().tasks.map((x: { id: string }) => x.id)).toEqual([t.id]);
      expect((await open.call('GET', '/v2/tasks', { headers: P2 })).json().tasks.map((x: { id: string }) => x.id)).toEqual([t2.id]);
      const imgs = (await open.call('GET', '/v2/images', { headers: P1 })).json().images;
      expect(imgs.find((i: { name: string }) => i.name === 'mine')?.checksum).toBe(md5(data));
    } finally {
      await open.close();
    }
  });

  it('timeToLiveHours 0: a finished task expires at once and is purged from lists and shows', async () => {
    const open = await startApi({ tasks: { ...DEFAULT_CONFIG.tasks, timeToLiveHours: 0 } });
    try {
      const P1 = ADMIN;
      const t = await createTask(open, { type: 'import', input: { import_from: 'none/a.raw' } }, P1);
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (await open.call('GET', `/v2/tasks/${t.id}`, { headers: P1 })).status;
        if (status === 404) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(status).toBe(404);
      const list = (await open.call('GET', '/v2/tasks', { headers: P1 })).json().tasks;
      expect(list.map((x: { id: string }) => x.id)).not.toContain(t.id);
    } finally {
      await open.close();
    }
  });
});


describe('image ids of tasks', () => {
  it("an import's input.image_id is not adopted: only the image the task made is recorded", async () => {
    const other = await createImage(api, { name: 'bystander', disk_format: 'raw', container_format: 'bare' });
    const t = await createTask(api, { type: 'import', input: { image_id: other.id, import_from: 'exports/nothing-here.raw' } });
    expect(t.image_id).toBeUndefined();
    const done = await waitForTask(api, t.id);
    expect(done.status).toBe('failure');
    expect(done.image_id).toBeUndefined();
    expect((await api.call('GET', `/v2/images/${other.id}`)).json().status).toBe('queued');
  });
});
