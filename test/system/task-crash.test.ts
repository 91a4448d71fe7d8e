/**
 * A REAL gateway process killed while an import task is processing: after restart the task is
 * `failure` with a message, its half-made image is gone (404), and no bytes or temp files remain.
 */
import http, { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, removeTempDirs, startGateway, type Gateway } from '../interop/gateway.js';
import { ADMIN, request, waitFor, walkDataDir } from '../interop/http.js';

const running: Gateway[] = [];
let source: Server;
let sourceUrl = '';

beforeAll(async () => {
  await ensureBuilt();
  // Sends 2 MiB of a "1 GiB" image, then stalls: the task stays processing until killed.
  source = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Length': String(1024 * 1024 * 1024) });
    res.write(randomBytes(2 * 1024 * 1024));
  });
  await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
  const a = source.address();
  sourceUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}, 300_000);

afterAll(async () => {
  await Promise.all(running.map((g) => g.kill()));
  source.closeAllConnections();
  await new Promise((r) => source.close(r));
  removeTempDirs();
});

const ENV = { GLANCE_GATEWAY_FETCH_ALLOW: '127.0.0.1/32', GLANCE_GATEWAY_FETCH_PORTS: 'any' };

async function start(dataDir?: string): Promise<Gateway> {
  const gw = await startGateway({ env: ENV, ...(dataDir ? { dataDir } : {}) });
  running.push(gw);
  return gw;
}
const api = (gw: Gateway, method: string, p: string, body?: object) =>
  request(gw.url, method, p, { headers: { ...ADMIN }, ...(body ? { body } : {}) });

describe('task crash safety (real process)', () => {
  it('SIGKILL during an import task: restart fails the task and removes its image and bytes', async () => {
    const gw = await start();
    const created = await api(gw, 'POST', '/v2/tasks', {
      type: 'import',
      input: { import_from: `${sourceUrl}/big.raw`, import_from_format: 'raw', image_properties: { name: 'half-made', container_format: 'bare' } },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.json().id;
    // Processing, with its image created and bytes flowing into a temp file.
    const busy = await waitFor(async () => {
      const t = (await api(gw, 'GET', `/v2/tasks/${id}`)).json();
      if (t.status !== 'processing' || !t.image_id) return null;
      const img = (await api(gw, 'GET', `/v2/images/${t.image_id}`)).json();
      return img.status === 'saving' && walkDataDir(gw.dataDir).temp.length > 0 ? t : null;
    }, 20_000);
    expect(busy, 'task never reached processing with bytes in flight').toBeTruthy();
    await gw.kill();

    const again = await start(gw.dataDir);
    const t = (await api(again, 'GET', `/v2/tasks/${id}`)).json();
    expect(t).toMatchObject({ status: 'failure', message: 'Task was interrupted by a restart of the service', result: null });
    expect(t.expires_at).toBeTruthy();
    expect((await api(again, 'GET', `/v2/images/${busy.image_id}`)).status).toBe(404);
    const listing = walkDataDir(again.dataDir);
    expect(listing.temp).toEqual([]);
    expect(listing.blobs).toEqual([]);
    const images = (await api(again, 'GET', '/v2/images')).json().images;
    expect(images).toEqual([]);
  }, 90_000);

  it('SIGTERM during an import task: the task is failed at shutdown and its image removed', async () => {
    const gw = await start();
    const created = await api(gw, 'POST', '/v2/tasks', {
      type: 'import',
      input: { import_from: `${sourceUrl}/big.raw`, import_from_format: 'raw', image_properties: { name: 'stopped' } },
    });
    const id = created.json().id;
    const busy = await waitFor(async () => {
      const t = (await api(gw, 'GET', `/v2/tasks/${id}`)).json();
      return t.status === 'processing' && t.image_id ? t : null;
    }, 20_000);
    expect(busy).toBeTruthy();
    const code = await gw.stop();
    expect(code, gw.logs.slice(-15).join("\n")).toBe(0);
    const again = await start(gw.dataDir);
    const t = (await api(again, 'GET', `/v2/tasks/${id}`)).json();
    expect(t).toMatchObject({ status: 'failure', message: 'Task was interrupted by a shutdown of the service' });
    expect((await api(again, 'GET', `/v2/images/${busy.image_id}`)).status).toBe(404);
    const listing = walkDataDir(again.dataDir);
    expect(listing.temp).toEqual([]);
    expect(listing.blobs).toEqual([]);
  }, 90_000);

  it('object PUT cut by a vanished client or by SIGKILL: no temp file, no object', async () => {
    const gw = await start();
    expect((await api(gw, 'PUT', '/containers/up')).status).toBe(201);
    const partial = (name: string) => {
      const req = http.request(new URL(`/containers/up/${name}`, gw.url), {
        method: 'PUT',
        headers: { ...ADMIN, 'Content-Length': String(64 * 1024 * 1024) },
      });
      req.on('error', () => undefined);
      req.write(randomBytes(4 * 1024 * 1024));
      return req;
    };
    const tempFiles = () => walkDataDir(gw.dataDir).temp.filter((f) => f.startsWith('containers'));
    const gone = partial('client-gone.raw');
    expect(await waitFor(async () => tempFiles().length > 0, 20_000)).toBe(true);
    gone.destroy();
    expect(await waitFor(async () => tempFiles().length === 0, 20_000)).toBe(true);
    expect((await api(gw, 'GET', '/containers/up')).json()).toEqual([]);

    partial('killed.raw');
    expect(await waitFor(async () => tempFiles().length > 0, 20_000)).toBe(true);
    await gw.kill();
    expect(walkDataDir(gw.dataDir).temp.length).toBeGreaterThan(0);
    const again = await start(gw.dataDir);
    expect(walkDataDir(again.dataDir).temp).toEqual([]);
    expect((await api(again, 'GET', '/containers/up')).json()).toEqual([]);
  }, 90_000);
});
