/** /containers: the per-project object API that tasks import from and export to. */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { as, startApi, type Api } from '../support/api-gateway.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const P1 = as('proj1');
const P2 = as('proj2');
let api: Api;

beforeAll(async () => {
  api = await startApi({ containers: { ...DEFAULT_CONFIG.containers, projectQuota: 100_000 } });
});
afterAll(async () => {
  await api?.close();
});

describe('containers and objects', () => {
  it('PUT container 201 then 202; PUT object 201 + ETag; GET/HEAD; list; DELETE', async () => {
    expect((await api.call('PUT', '/containers/box', { headers: P1 })).status).toBe(201);
    expect((await api.call('PUT', '/containers/box', { headers: P1 })).status).toBe(202);
    const data = randomBytes(20_000);
    const put = await api.call('PUT', '/containers/box/disk.vhd', { headers: P1, body: data });
    expect(put.status, put.text).toBe(201);
    expect(put.header('etag')).toBe(md5(data));
    expect(put.json()).toEqual({ name: 'disk.vhd', bytes: 20_000, hash: md5(data) });
    const get = await api.call('GET', '/containers/box/disk.vhd', { headers: P1 });
    expect(get.status).toBe(200);
    expect(get.body.equals(data)).toBe(true);
    expect(get.header('content-length')).toBe('20000');
    const head = await api.call('HEAD', '/containers/box/disk.vhd', { headers: P1 });
    expect(head.status).toBe(200);
    expect(head.header('content-length')).toBe('20000');
    const list = (await api.call('GET', '/containers/box', { headers: P1 })).json();
    expect(list).toEqual([{ name: 'disk.vhd', bytes: 20_000, last_modified: expect.any(String) }]);
    expect((await api.call('GET', '/containers', { headers: P1 })).json()).toEqual([{ name: 'box', count: 1, bytes: 20_000 }]);
    // Not empty → 409; then delete the object, then the container.
    const busy = await api.call('DELETE', '/containers/box', { headers: P1 });
    expect(busy.status).toBe(409);
    expect(busy.json().error.message).toContain('not empty');
    expect((await api.call('DELETE', '/containers/box/disk.vhd', { headers: P1 })).status).toBe(204);
    expect((await api.call('GET', '/containers/box/disk.vhd', { headers: P1 })).status).toBe(404);
    expect((await api.call('DELETE', '/containers/box', { headers: P1 })).status).toBe(204);
  });

  it('projects are isolated: same names, different objects; other projects get 404', async () => {
    await api.call('PUT', '/containers/shared-name', { headers: P1 });
    await api.call('PUT', '/containers/shared-name/o', { headers: P1, body: Buffer.from('one') });
    const r = await api.call('GET', '/containers/shared-name/o', { headers: P2 });
    expect(r.status).toBe(404);
    expect(r.json()).toEqual({ error: { code: 404, title: 'Not Found', message: 'Container shared-name not found.' } });
    expect((await api.call('GET', '/containers', { headers: P2 })).json()).toEqual([]);
  });

  it('object PUT into a missing container → 404, nothing written', async () => {
    const r = await api.call('PUT', '/containers/missing/o', { headers: P1, body: Buffer.from('x') });
    expect(r.status).toBe(404);
    expect(readdirSync(join(api.config.dataDir, 'containers', '.tmp'))).toEqual([]);
  });

  it.each([
    '/containers/..%2F..%2Fetc/passwd',
    '/containers/ok/..%2F..%2F..%2Fglance-gateway.sqlite',
    '/containers/.hidden',
    '/containers/ok/.x',
    '/containers/a%00b',
  ])('traversal / bad names refused: %s', async (path) => {
    await api.call('PUT', '/containers/ok', { headers: P1 });
    for (const m of ['GET', 'PUT', 'DELETE']) {
      const r = await api.call(m, path, { headers: P1, ...(m === 'PUT' ? { body: Buffer.from('evil') } : {}) });
      expect([400, 404], `${m} ${path}: ${r.text}`).toContain(r.status);
      if (r.status === 400) expect(r.json().error.message).toMatch(/Invalid (container|object) name/);
    }
  });

  it('raw ../ in the path (not normalised by the client) never escapes', async () => {
    for (const path of ['/containers/../images', '/containers/ok/../../glance-gateway.sqlite']) {
      const res = await request(`${api.url}${path}`, { method: 'GET', headers: P1 });
      const text = await res.body.text();
      expect(res.statusCode, text).not.toBe(200);
    }
  });

  it('project quota: an object that does not fit → 413, nothing kept; replacing frees bytes', async () => {
    await api.call('PUT', '/containers/q', { headers: P2 });
    expect((await api.call('PUT', '/containers/q/a', { headers: P2, body: randomBytes(60_000) })).status).toBe(201);
    const over = await api.call('PUT', '/containers/q/b', { headers: P2, body: randomBytes(50_000) });
    expect(over.status).toBe(413);
    expect(over.json().error.message).toContain('Container quota exceeded');
    // Streamed without Content-Length: refused at the limit, temp removed.
    const chunked = await api.call('PUT', '/containers/q/c', {
      headers: P2,
      body: (async function* () {
        for (let i = 0; i < 10; i++) yield randomBytes(5000);
      })(),
    });
    expect(chunked.status).toBe(413);
    expect((await api.call('GET', '/containers/q', { headers: P2 })).json().map((o: { name: string }) => o.name)).toEqual(['a']);
    expect(readdirSync(join(api.config.dataDir, 'containers', '.tmp'))).toEqual([]);
    // Replacing `a` with a same-size object fits: its old bytes are freed.
    expect((await api.call('PUT', '/containers/q/a', { headers: P2, body: randomBytes(60_000) })).status).toBe(201);
  });

  it('object over the size cap → 413', async () => {
    await api.call('PUT', '/containers/cap', { headers: P1 });
    const r = await api.call('PUT', '/containers/cap/x', { headers: P1, body: randomBytes(api.config.limits.imageSizeCap + 1) });
    expect(r.status).toBe(413);
    expect(r.json().error.message).toContain('Object too large');
  });

  it('unsupported method → 405', async () => {
    const r = await api.call('POST', '/containers/box', { headers: P1 });
    expect(r.status).toBe(405);
  });
});
