/**
 * Crash safety of a REAL gateway process (node dist/main.js): SIGKILL during large uploads and a
 * client that vanishes mid-upload. After restart on the same data dir: nothing is left `saving`,
 * no temp file and no blob without an active image remain, earlier active images are intact.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, startGateway, type Gateway, removeTempDirs } from '../interop/gateway.js';
import { ADMIN, ControlledUpload, md5, request, waitFor, walkDataDir, type HttpResponse } from '../interop/http.js';

const MB = 1024 * 1024;
const running: Gateway[] = [];

async function start(dataDir?: string): Promise<Gateway> {
  const gw = await startGateway(dataDir ? { dataDir } : {});
  running.push(gw);
  return gw;
}
const api = (gw: Gateway, method: string, p: string, body?: object | Buffer, headers: Record<string, string> = {}) =>
  request(gw.url, method, p, { headers: { ...ADMIN, ...headers }, ...(body ? { body } : {}) });

async function createRaw(gw: Gateway, name: string): Promise<string> {
  const r = await api(gw, 'POST', '/v2/images', { name, disk_format: 'raw', container_format: 'bare' });
  expect(r.status, r.text).toBe(201);
  return r.json().id;
}
async function upload(gw: Gateway, id: string, data: Buffer): Promise<HttpResponse> {
  return api(gw, 'PUT', `/v2/images/${id}/file`, data, { 'Content-Type': 'application/octet-stream' });
}
async function status(gw: Gateway, id: string): Promise<string> {
  return (await api(gw, 'GET', `/v2/images/${id}`)).json().status;
}
async function allImages(gw: Gateway) {
  const r = await api(gw, 'GET', '/v2/images?visibility=all&limit=1000');
  expect(r.status).toBe(200);
  return r.json().images as { id: string; status: string; checksum: string | null }[];
}

/** Every blob on disk belongs to an active/deactivated image whose size it has; nothing else is there. */
async function expectCleanStore(gw: Gateway) {
  const listing = walkDataDir(gw.dataDir);
  expect(listing.temp, 'temp files left').toEqual([]);
  expect(listing.other, 'unexpected files in the store').toEqual([]);
  for (const blob of listing.blobs) {
    const r = await api(gw, 'GET', `/v2/images/${blob.id}`);
    expect(r.status, `blob ${blob.rel} has no image`).toBe(200);
    const img = r.json();
    expect(blob.area, `blob ${blob.rel}`).toBe('images');
    expect(['active', 'deactivated'], `blob ${blob.rel} of a ${img.status} image`).toContain(img.status);
    expect(blob.size).toBe(img.size);
  }
  return listing;
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

afterAll(async () => {
  await Promise.all(running.map((g) => g.kill()));
  removeTempDirs();
});

describe('crash safety (real process)', () => {
  it('SIGKILL during 4 concurrent 200 MB uploads; restart recovers a clean state', async () => {
    const gw = await start();
    const intact: { id: string; sum: string; size: number }[] = [];
    for (let i = 0; i < 2; i++) {
      const data = randomBytes(5 * MB + i);
      const id = await createRaw(gw, `intact-${i}`);
      expect((await upload(gw, id, data)).status).toBe(204);
      intact.push({ id, sum: md5(data), size: data.length });
    }
    // A fully staged (glance-direct) image is also in flight when the process dies.
    const staged = await createRaw(gw, 'staged');
    const stagedData = randomBytes(3 * MB);
    const st = await api(gw, 'PUT', `/v2/images/${staged}/stage`, stagedData, { 'Content-Type': 'application/octet-stream' });
    expect(st.status).toBe(204);
    expect(await status(gw, staged)).toBe('uploading');
    const ids = await Promise.all([0, 1, 2, 3].map((i) => createRaw(gw, `big-${i}`)));
    const uploads = ids.map((id) => new ControlledUpload(gw.url, id, 200 * MB, ADMIN));
    await Promise.all(uploads.map((u) => u.sendUntil(80 * MB)));
    const saving = await waitFor(async () => (await Promise.all(ids.map((id) => status(gw, id)))).every((s) => s === 'saving'));
    expect(saving, 'all four uploads are in progress').toBe(true);
    // The bytes are being streamed to temp files, not yet committed.
    const mid = await waitFor(async () => walkDataDir(gw.dataDir).temp.length >= 4);
    expect(mid, `temp files mid-upload: ${JSON.stringify(walkDataDir(gw.dataDir))}`).toBe(true);

    await gw.kill();
    const outcomes = await Promise.all(uploads.map((u) => u.response));
    for (const o of outcomes) expect(o instanceof Error || o.status >= 400, 'no upload may succeed').toBe(true);
    expect(walkDataDir(gw.dataDir).temp.length).toBeGreaterThanOrEqual(4); // the crash left them behind

    const gw2 = await start(gw.dataDir);
    for (const id of ids) {
      const img = (await api(gw2, 'GET', `/v2/images/${id}`)).json();
      expect(img).toMatchObject({ id, status: 'queued', size: null, virtual_size: null, checksum: null, os_hash_value: null });
    }
    const listed = await allImages(gw2);
    expect(listed.filter((i) => i.status === 'saving')).toEqual([]);
    expect(listed.map((i) => i.id).sort()).toEqual([...ids, staged, ...intact.map((i) => i.id)].sort());
    // The staged image is consistent either way: still `uploading` with importable data, or `queued` without any.
    const stagedNow = await status(gw2, staged);
    const hasStaged = walkDataDir(gw2.dataDir).blobs.some((b) => b.id === staged && b.area === 'staging');
    if (stagedNow === 'uploading') {
      expect(hasStaged).toBe(true);
      const imp = await api(gw2, 'POST', `/v2/images/${staged}/import`, { method: { name: 'glance-direct' } });
      expect(imp.status).toBe(202);
      expect(await waitFor(async () => (await status(gw2, staged)) === 'active')).toBe(true);
    } else {
      expect(stagedNow).toBe('queued');
      expect(hasStaged).toBe(false);
      expect((await upload(gw2, staged, stagedData)).status).toBe(204);
    }
    expect((await api(gw2, 'GET', `/v2/images/${staged}`)).json()).toMatchObject({ status: 'active', checksum: md5(stagedData) });
    const clean = await expectCleanStore(gw2);
    expect(clean.blobs.map((b) => b.id).sort()).toEqual([staged, ...intact.map((i) => i.id)].sort());

    for (const { id, sum, size } of intact) {
      const dl = await api(gw2, 'GET', `/v2/images/${id}/file`);
      expect(dl.status).toBe(200);
      expect(dl.body.length).toBe(size);
      expect(md5(dl.body)).toBe(sum);
      expect(dl.headers['content-md5']).toBe(sum);
    }

    const again = randomBytes(8 * MB);
    expect((await upload(gw2, ids[0]!, again)).status).toBe(204);
    const img = (await api(gw2, 'GET', `/v2/images/${ids[0]}`)).json();
    expect(img).toMatchObject({ status: 'active', size: again.length, checksum: md5(again) });
    expect(md5((await api(gw2, 'GET', `/v2/images/${ids[0]}/file`)).body)).toBe(md5(again));
    // The other three can be uploaded too, concurrently.
    const rest = ids.slice(1).map(() => randomBytes(2 * MB));
    const codes = await Promise.all(ids.slice(1).map((id, i) => upload(gw2, id, rest[i]!)));
    expect(codes.map((c) => c.status)).toEqual([204, 204, 204]);
    await expectCleanStore(gw2);
    expect(await gw2.stop()).toBe(0);
  }, 300_000);

  it('a client that drops the connection mid-upload leaves the image queued and no temp file', async () => {
    const gw = await start();
    const id = await createRaw(gw, 'abort-me');
    const u = new ControlledUpload(gw.url, id, 50 * MB, ADMIN);
    await u.sendUntil(10 * MB);
    expect(await waitFor(async () => (await status(gw, id)) === 'saving')).toBe(true);
    expect(walkDataDir(gw.dataDir).temp.length).toBe(1);
    u.destroy();
    const outcome = await u.response;
    expect(outcome instanceof Error || outcome.status >= 400).toBe(true);

    expect(await waitFor(async () => (await status(gw, id)) === 'queued'), 'image back to queued').toBe(true);
    const img = (await api(gw, 'GET', `/v2/images/${id}`)).json();
    expect(img).toMatchObject({ status: 'queued', size: null, checksum: null });
    expect(await waitFor(async () => walkDataDir(gw.dataDir).temp.length === 0), 'temp file removed').toBe(true);
    await expectCleanStore(gw);

    const data = randomBytes(3 * MB);
    expect((await upload(gw, id, data)).status).toBe(204);
    expect((await api(gw, 'GET', `/v2/images/${id}`)).json()).toMatchObject({ status: 'active', size: data.length, checksum: md5(data) });
    expect(md5((await api(gw, 'GET', `/v2/images/${id}/file`)).body)).toBe(md5(data));
    await expectCleanStore(gw);
    // The process survived the abort; SIGTERM stops it cleanly.
    expect(await gw.stop()).toBe(0);
  }, 120_000);

  it('SIGTERM drains: an in-flight upload completes, a stalled one is cut at the deadline', async () => {
    const gw = await startGateway({ env: { GLANCE_GATEWAY_SHUTDOWN_TIMEOUT_MS: '3000' } });
    running.push(gw);
    const [a, b] = [await createRaw(gw, 'drained'), await createRaw(gw, 'stalled')];
    const ua = new ControlledUpload(gw.url, a, 20 * MB, ADMIN);
    const ub = new ControlledUpload(gw.url, b, 20 * MB, ADMIN);
    await Promise.all([ua.sendUntil(5 * MB), ub.sendUntil(5 * MB)]);
    expect(await waitFor(async () => (await status(gw, a)) === 'saving' && (await status(gw, b)) === 'saving')).toBe(true);

    const t0 = Date.now();
    gw.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const refused = await request(gw.url, 'GET', '/healthcheck', { headers: ADMIN }).catch((e: Error) => e);
    expect(refused instanceof Error, 'no new connections while draining').toBe(true);
    const sumA = await ua.finish();
    const resA = await ua.response;
    expect(resA instanceof Error ? resA.message : resA.status).toBe(204);
    const resB = await ub.response;
    expect(resB instanceof Error || resB.status >= 400).toBe(true);
    const { code } = await gw.exited;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);

    const gw2 = await start(gw.dataDir);
    expect((await api(gw2, 'GET', `/v2/images/${a}`)).json()).toMatchObject({ status: 'active', size: 20 * MB, checksum: sumA });
    expect((await api(gw2, 'GET', `/v2/images/${b}`)).json()).toMatchObject({ status: 'queued', size: null });
    await expectCleanStore(gw2);
    expect(await gw2.stop()).toBe(0);
  }, 120_000);
});
