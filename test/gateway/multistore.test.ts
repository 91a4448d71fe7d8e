import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImage, startHarness, type Harness } from './harness.js';

const OCTET = { 'Content-Type': 'application/octet-stream' };

describe('several named stores', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      stores: [
        { id: 'fast', path: 'fast', description: 'SSD' },
        { id: 'cheap', path: 'cheap' },
      ],
      defaultStore: 'fast',
    });
  });
  afterAll(() => h.stop());

  it('lists the stores with the default marked as the string "true"', async () => {
    const res = await fetch(`${h.url}/v2/info/stores`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      stores: [{ id: 'fast', description: 'SSD', default: 'true' }, { id: 'cheap' }],
    });
  });

  it('shows store details to admins only', async () => {
    const admin = await fetch(`${h.url}/v2/info/stores/detail`);
    expect(admin.status).toBe(200);
    const body = (await admin.json()) as { stores: Array<{ id: string; type: string }> };
    expect(body.stores.map((s) => [s.id, s.type])).toEqual([['fast', 'file'], ['cheap', 'file']]);
    const member = await fetch(`${h.url}/v2/info/stores/detail`, { headers: { 'X-Project-Id': 'p1', 'X-Roles': 'member' } });
    expect(member.status).toBe(403);
  });

  it('advertises the store ids on create', async () => {
    const res = await fetch(`${h.url}/v2/images`, { method: 'POST', body: '{}' });
    expect(res.headers.get('openstack-image-store-ids')).toBe('fast,cheap');
  });

  it('uploads into the store named by X-Image-Meta-Store and reports it in `stores`', async () => {
    const img = await createImage(h.url, { disk_format: 'raw', container_format: 'bare' });
    const data = Buffer.from('bytes for the cheap store');
    const put = await fetch(`${h.url}/v2/images/${img.id}/file`, {
      method: 'PUT',
      body: data,
      headers: { ...OCTET, 'X-Image-Meta-Store': 'cheap' },
    });
    expect(put.status).toBe(204);
    const shown = (await (await fetch(`${h.url}/v2/images/${img.id}`)).json()) as Record<string, unknown>;
    expect(shown.stores).toBe('cheap');
    const id = String(img.id);
    expect(existsSync(join(h.dataDir, 'cheap', id.slice(0, 2), id))).toBe(true);
    expect(existsSync(join(h.dataDir, 'fast', id.slice(0, 2), id))).toBe(false);
    const got = Buffer.from(await (await fetch(`${h.url}/v2/images/${id}/file`)).arrayBuffer());
    expect(createHash('md5').update(got).digest('hex')).toBe(createHash('md5').update(data).digest('hex'));
  });

  it('uses the default store without the header', async () => {
    const img = await createImage(h.url, { disk_format: 'raw', container_format: 'bare' });
    await fetch(`${h.url}/v2/images/${img.id}/file`, { method: 'PUT', body: 'x', headers: OCTET });
    const shown = (await (await fetch(`${h.url}/v2/images/${img.id}`)).json()) as Record<string, unknown>;
    expect(shown.stores).toBe('fast');
  });

  it('refuses an unknown store with 400 and leaves the image queued', async () => {
    const img = await createImage(h.url, { disk_format: 'raw', container_format: 'bare' });
    const put = await fetch(`${h.url}/v2/images/${img.id}/file`, {
      method: 'PUT',
      body: 'x',
      headers: { ...OCTET, 'X-Image-Meta-Store': 'nope' },
    });
    expect(put.status).toBe(400);
    const shown = (await (await fetch(`${h.url}/v2/images/${img.id}`)).json()) as Record<string, unknown>;
    expect(shown.status).toBe('queued');
  });

  it('refuses to delete the only copy from a store (403) and unknown stores (409)', async () => {
    const img = await createImage(h.url, { disk_format: 'raw', container_format: 'bare' });
    await fetch(`${h.url}/v2/images/${img.id}/file`, { method: 'PUT', body: 'x', headers: OCTET });
    expect((await fetch(`${h.url}/v2/stores/fast/${img.id}`, { method: 'DELETE' })).status).toBe(403);
    expect((await fetch(`${h.url}/v2/stores/cheap/${img.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${h.url}/v2/stores/nope/${img.id}`, { method: 'DELETE' })).status).toBe(409);
  });
});

describe('a single store', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  it('answers /v2/info/stores with 404 as Glance without enabled_backends', async () => {
    const res = await fetch(`${h.url}/v2/info/stores`, { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toContain('Multi backend is not supported at this site.');
  });

  it('ignores X-Image-Meta-Store and hides `stores`', async () => {
    const img = await createImage(h.url, { disk_format: 'raw', container_format: 'bare' });
    const put = await fetch(`${h.url}/v2/images/${img.id}/file`, {
      method: 'PUT',
      body: 'x',
      headers: { ...OCTET, 'X-Image-Meta-Store': 'anything' },
    });
    expect(put.status).toBe(204);
    const shown = (await (await fetch(`${h.url}/v2/images/${img.id}`)).json()) as Record<string, unknown>;
    expect(shown.status).toBe('active');
    expect(shown).not.toHaveProperty('stores');
  });
});
