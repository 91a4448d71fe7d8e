/**
 * python-glanceclient 4.1 CLI data paths against a real gateway: reserve (no data) then
 * image-upload, stage + import (glance-direct), image-create-via-import, image tasks, and the
 * refusal of a web-download. Commands that do not upload run under a
 * pseudo-terminal: with a non-terminal stdin glanceclient treats stdin as image data.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startGateway, tempDir, type Gateway, removeTempDirs } from './gateway.js';
import { ADMIN, md5, randomFile, request } from './http.js';
import { glance, ok, parseDict, parseList } from './clients.js';

let gw: Gateway;
let work: string;
let src: string;
let srcHash: { md5: string; sha512: string };
const SIZE = 2 * 1024 * 1024 + 5;

const getImage = async (id: string) => (await request(gw.url, 'GET', `/v2/images/${id}`, { headers: ADMIN })).json();
async function waitStatus(id: string, want: string, ms = 30_000): Promise<string> {
  const deadline = Date.now() + ms;
  let st = '';
  while (Date.now() < deadline) {
    st = (await getImage(id)).status;
    if (st === want) break;
    await sleep(200);
  }
  return st;
}
async function reserve(name: string): Promise<string> {
  const d = parseDict(
    ok(await glance(gw.url, ['image-create', '--name', name, '--disk-format', 'raw', '--container-format', 'bare'], { tty: true }))
      .stdout,
  );
  expect(d).toMatchObject({ name, status: 'queued', size: 'None', checksum: 'None' });
  return d.id ?? '';
}

beforeAll(async () => {
  gw = await startGateway();
  work = tempDir('gcdata');
  src = path.join(work, 'source.raw');
  srcHash = await randomFile(src, SIZE);
});

afterAll(async () => {
  await gw?.stop();
  removeTempDirs();
});

describe('glanceclient v2 data paths', () => {
  it('reserve, download of an image without data, then image-upload', async () => {
    const id = await reserve('gc-reserved');
    const out = path.join(work, 'none.img');
    const dl = await glance(gw.url, ['image-download', '--file', out, id]);
    expect(dl.code).toBe(1);
    expect(dl.stderr).toContain(`Image ${id} has no data.`);
    ok(await glance(gw.url, ['image-upload', '--file', src, id]));
    expect(await getImage(id)).toMatchObject({
      status: 'active', size: SIZE, checksum: srcHash.md5, os_hash_algo: 'sha512', os_hash_value: srcHash.sha512,
    });
    const again = await glance(gw.url, ['image-upload', '--file', src, id]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/409|Conflict/);
  });

  it('image-stage then image-import (glance-direct); image-tasks shows the import task', async () => {
    const id = await reserve('gc-staged');
    ok(await glance(gw.url, ['image-stage', '--file', src, id]));
    expect(await getImage(id)).toMatchObject({ status: 'uploading', size: SIZE, checksum: null });
    ok(await glance(gw.url, ['image-import', '--import-method', 'glance-direct', id], { tty: true }));
    expect(await waitStatus(id, 'active')).toBe('active');
    // The import lock property goes once the task has finished (Glance drops it just after `active`).
    const unlocked = async () => !('os_glance_import_task' in (await getImage(id)));
    for (let i = 0; i < 100 && !(await unlocked()); i++) await sleep(100);
    const img = await getImage(id);
    expect(img).not.toHaveProperty('os_glance_import_task');
    expect(img).toMatchObject({
      status: 'active', size: SIZE, checksum: srcHash.md5, os_hash_value: srcHash.sha512,
      os_glance_importing_to_stores: '', os_glance_failed_import: '',
    });
    const out = path.join(work, 'staged.img');
    ok(await glance(gw.url, ['image-download', '--file', out, id]));
    expect(md5(readFileSync(out))).toBe(srcHash.md5);

    // `glance image-tasks` needs v2.12 advertised, which a default (single-store) deployment does not
    // do; the route itself always works (spec §2.2, §5.7).
    const cli = await glance(gw.url, ['image-tasks', id]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('Server does not support image tasks API (v2.12)');
    const tasks = (await request(gw.url, 'GET', `/v2/images/${id}/tasks`, { headers: ADMIN })).json().tasks;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ type: 'api_image_import', status: 'success', image_id: id, owner: 'admin' });
    expect(tasks[0].input.import_req).toEqual({ method: { name: 'glance-direct' } });
  });

  it('image-create-via-import --file: created, staged and imported in one command', async () => {
    const r = ok(
      await glance(gw.url, ['image-create-via-import', '--name', 'gc-via-import', '--disk-format', 'raw',
        '--container-format', 'bare', '--property', 'origin=import', '--file', src], { tty: true }),
    );
    const id = parseDict(r.stdout).id ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await waitStatus(id, 'active')).toBe('active');
    expect(await getImage(id)).toMatchObject({
      name: 'gc-via-import', origin: 'import', size: SIZE, checksum: srcHash.md5, os_hash_value: srcHash.sha512,
    });
  });

  it('web-download is refused: not offered, or offered but a loopback URI fails filtering', async () => {
    const id = await reserve('gc-web');
    const offered = (await request(gw.url, 'GET', '/v2/info/import', { headers: ADMIN })).json()['import-methods'].value;
    expect(offered).toContain('glance-direct');
    const uri = `${gw.url}/v2/images/${id}/file`;
    const r = await glance(gw.url, ['image-import', '--import-method', 'web-download', '--uri', uri, id], { tty: true });
    expect(r.code).not.toBe(0);
    const raw = await request(gw.url, 'POST', `/v2/images/${id}/import`, {
      headers: ADMIN, body: { method: { name: 'web-download', uri } },
    });
    expect(raw.status).toBe(400);
    if (offered.includes('web-download')) {
      expect(r.stdout + r.stderr).toContain('does not pass filtering');
      expect(raw.text).toContain(`URI for web-download does not pass filtering: ${uri}`);
    } else {
      expect(r.stdout + r.stderr).toContain("Import method 'web-download' is not valid for this cloud.");
      expect(raw.text).toContain("Unknown import method name 'web-download'.");
    }
    expect((await getImage(id)).status).toBe('queued');
  });
});
