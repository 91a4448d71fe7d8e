/**
 * Seed 003 (Rackspace Cloud Images "Use images") replayed with the real curl binary against a
 * real gateway, the containers standing in for Cloud Files: list, show, PATCH with the v2.1
 * json-patch type, import task from `exports/<object>`, poll, export task, poll, fetch the
 * exported object. Then the real glanceclient 4.1 task commands.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glance, ok, parseDict, parseList } from './clients.js';
import { CURL, describeRun, MAIN, run, startGateway, tempDir, type Gateway, removeTempDirs } from './gateway.js';
import { md5, randomFile } from './http.js';

let gw: Gateway;
let work: string;
let file: string;
let fileMd5: string;
const SIZE = 5 * 1024 * 1024 + 7;
const TOKEN = 'rackspace-token';
let n = 0;

async function curl(args: string[]): Promise<{ status: number; body: Buffer }> {
  n++;
  const out = path.join(work, `b${n}`);
  const r = await run(CURL, ['-sS', '-o', out, '-w', '%{http_code}', '-H', `X-Auth-Token: ${TOKEN}`, ...args], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`curl failed: ${describeRun(r)}`);
  return { status: Number(r.stdout), body: readFileSync(out) };
}
const json = (r: { body: Buffer }) => JSON.parse(r.body.toString('utf8'));

async function poll(id: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const t = json(await curl([`${gw.url}/v2/tasks/${id}`]));
    if (t.status === 'success' || t.status === 'failure' || Date.now() > deadline) return t;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  gw = await startGateway();
  work = tempDir('rackspace');
  file = path.join(work, 'my-excellent-image.vhd');
  fileMd5 = (await randomFile(file, SIZE)).md5;
});

afterAll(async () => {
  await gw?.stop();
  removeTempDirs();
});

describe('seed 003 with curl', () => {
  let imageId = '';

  it('puts the source into the exports container (Cloud Files stand-in)', async () => {
    expect((await curl(['-X', 'PUT', `${gw.url}/containers/exports`])).status).toBe(201);
    const put = await curl(['-X', 'PUT', '-T', file, `${gw.url}/containers/exports/my-excellent-image.vhd`]);
    expect(put.status).toBe(201);
    expect(json(put)).toMatchObject({ bytes: SIZE, hash: fileMd5 });
  });

  it('import task: pending, then success with result.image_id', async () => {
    const r = await curl([
      `${gw.url}/v2/tasks`, '-X', 'POST', '-H', 'Content-Type: application/json',
      '-d', '{"type": "import","input":{"image_properties": {"name": "My excellent custom image"},"import_from": "exports/my-excellent-image.vhd"}}',
    ]);
    expect(r.status).toBe(201);
    const task = json(r);
    expect(task).toMatchObject({
      type: 'import', status: 'pending', owner: 'admin', schema: '/v2/schemas/task', self: `/v2/tasks/${task.id}`,
      input: { image_properties: { name: 'My excellent custom image' }, import_from: 'exports/my-excellent-image.vhd' },
    });
    const done = await poll(task.id);
    expect(done.status, String(done.message)).toBe('success');
    expect(done.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    imageId = (done.result as { image_id: string }).image_id;
  });

  it('lists and shows the image', async () => {
    const list = json(await curl([`${gw.url}/v2/images`]));
    expect(list.schema).toBe('/v2/schemas/images');
    const mine = list.images.find((i: { id: string }) => i.id === imageId);
    expect(mine).toMatchObject({ name: 'My excellent custom image', status: 'active', disk_format: 'vhd', size: SIZE, checksum: fileMd5 });
    const show = json(await curl([`${gw.url}/v2/images/${imageId}`]));
    expect(show).toMatchObject({ id: imageId, file: `/v2/images/${imageId}/file`, self: `/v2/images/${imageId}` });
  });

  it('PATCH with application/openstack-images-v2.1-json-patch renames it', async () => {
    const r = await curl([
      `${gw.url}/v2/images/${imageId}`, '-X', 'PATCH',
      '-d', '[{"op": "replace", "path": "/name", "value": "My Favorite Ubuntu 12.04"}]',
      '-H', 'Content-Type: application/openstack-images-v2.1-json-patch',
    ]);
    expect(r.status).toBe(200);
    expect(json(r)).toMatchObject({ id: imageId, name: 'My Favorite Ubuntu 12.04', status: 'active' });
  });

  it('export task: success with export_location; the object md5 equals the image checksum', async () => {
    const r = await curl([
      `${gw.url}/v2/tasks`, '-X', 'POST', '-H', 'Content-Type: application/json',
      '-d', JSON.stringify({ type: 'export', input: { image_uuid: imageId, receiving_swift_container: 'exports' } }),
    ]);
    expect(r.status).toBe(201);
    const done = await poll(json(r).id);
    expect(done.status, String(done.message)).toBe('success');
    expect(done.result).toEqual({ export_location: `exports/${imageId}.vhd` });
    const obj = await curl([`${gw.url}/containers/exports/${imageId}.vhd`]);
    expect(obj.status).toBe(200);
    expect(md5(obj.body)).toBe(fileMd5);
    const image = json(await curl([`${gw.url}/v2/images/${imageId}`]));
    expect(md5(obj.body)).toBe(image.checksum);
    // And through the CLI, straight from the data dir.
    const out = path.join(work, 'exported.vhd');
    const cli = await run(process.execPath, [MAIN, 'container', '--project', 'admin', 'get', 'exports', `${imageId}.vhd`, out], {
      env: { ...process.env, GLANCE_GATEWAY_DATA_DIR: gw.dataDir },
    });
    expect(cli.code, describeRun(cli)).toBe(0);
    expect(md5(readFileSync(out))).toBe(fileMd5);
  });
});

describe('glanceclient 4.1 task commands', () => {
  let taskId = '';

  it('task-create --type import --input', async () => {
    const input = JSON.stringify({ import_from: 'exports/my-excellent-image.vhd', image_properties: { name: 'from-glanceclient' } });
    const r = ok(await glance(gw.url, ['task-create', '--type', 'import', '--input', input]));
    const t = parseDict(r.stdout);
    expect(t).toMatchObject({ type: 'import', status: 'pending', owner: 'admin', result: 'None', message: '' });
    expect(JSON.parse(t.input!)).toEqual(JSON.parse(input));
    taskId = t.id!;
    expect(taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await poll(taskId)).status).toBe('success');
  });

  it('task-list shows it; --type/--status filter, --sort-key/--page-size page', async () => {
    const rows = parseList(ok(await glance(gw.url, ['task-list'])).stdout);
    expect(rows.find((row) => row.ID === taskId)).toEqual({ ID: taskId, Type: 'import', Status: 'success', Owner: 'admin' });
    expect(rows.length).toBe(3);
    const exports = parseList(ok(await glance(gw.url, ['task-list', '--type', 'export'])).stdout);
    expect(exports.length).toBe(1);
    expect(exports[0]).toMatchObject({ Type: 'export', Status: 'success' });
    expect(parseList(ok(await glance(gw.url, ['task-list', '--status', 'failure'])).stdout)).toEqual([]);
    // Two pages of one through the next links, in id order.
    const paged = parseList(ok(await glance(gw.url, ['task-list', '--sort-key', 'id', '--sort-dir', 'asc', '--page-size', '1'])).stdout);
    expect(paged.map((row) => row.ID)).toEqual(rows.map((row) => row.ID).sort());
  });

  it('task-show prints result and expires_at', async () => {
    const t = parseDict(ok(await glance(gw.url, ['task-show', taskId])).stdout);
    expect(t).toMatchObject({ id: taskId, type: 'import', status: 'success', owner: 'admin', message: '' });
    const imageId = JSON.parse(t.result!.replace(/'/g, '"')).image_id;
    expect(imageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const img = parseDict(ok(await glance(gw.url, ['image-show', imageId])).stdout);
    expect(img).toMatchObject({ name: 'from-glanceclient', status: 'active', checksum: fileMd5 });
  });
});
