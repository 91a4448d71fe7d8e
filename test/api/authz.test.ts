/**
 * The observed legacy-mode authorization matrix (spec v2 §13.5): images owned by proj1, callers
 * by role and project. Reader and no-role tokens may write in legacy mode, as Glance Zed allows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createImage, OCTET, startApi, uploadImage, V21, type Api } from '../support/api-gateway.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

type Col = 'admin' | 'member@owner' | 'reader@owner' | 'member@other' | 'reader@other' | 'no-role@owner';
const HEADERS: Record<Col, Record<string, string>> = {
  admin: as('proj3', 'admin'),
  'member@owner': as('proj1', 'member'),
  'reader@owner': as('proj1', 'reader'),
  'member@other': as('proj2', 'member'),
  'reader@other': as('proj2', 'reader'),
  'no-role@owner': { 'X-Project-Id': 'proj1' },
};
const COLS = Object.keys(HEADERS) as Col[];
const OWNER = as('proj1');
const RAW = { disk_format: 'raw', container_format: 'bare' };
const isOther = (c: Col) => c.endsWith('@other');
const row = (f: (c: Col) => number) => COLS.map((c) => [c, f(c)] as const);

describe('legacy mode matrix (spec v2 §13.5)', () => {
  it.each(row(() => 201))('create image: %s → %i', async (c, status) => {
    expect((await api.call('POST', '/v2/images', { headers: HEADERS[c], body: {} })).status).toBe(status);
  });

  it.each(row((c) => (c === 'admin' ? 201 : 403)))('create visibility public: %s → %i', async (c, status) => {
    expect((await api.call('POST', '/v2/images', { headers: HEADERS[c], body: { visibility: 'public' } })).status).toBe(status);
  });

  it.each(row(() => 201))('create visibility community: %s → %i', async (c, status) => {
    expect((await api.call('POST', '/v2/images', { headers: HEADERS[c], body: { visibility: 'community' } })).status).toBe(status);
  });

  it.each(row((c) => (c === 'admin' ? 201 : 403)))('create with another owner: %s → %i', async (c, status) => {
    expect((await api.call('POST', '/v2/images', { headers: HEADERS[c], body: { owner: 'proj9' } })).status).toBe(status);
  });

  it.each(row((c) => (isOther(c) ? 404 : 200)))('show own private: %s → %i (list always 200)', async (c, status) => {
    const img = await createImage(api, { visibility: 'private' }, OWNER);
    expect((await api.call('GET', `/v2/images/${img.id}`, { headers: HEADERS[c] })).status).toBe(status);
    const list = await api.call('GET', '/v2/images', { headers: HEADERS[c] });
    expect(list.status).toBe(200);
    const listed = list.json().images.some((i: { id: string }) => i.id === img.id);
    expect(listed).toBe(!isOther(c));
  });

  it.each(COLS)('PATCH, tag, upload, download, deactivate, reactivate, delete of a private image: %s', async (c) => {
    const h = HEADERS[c];
    const ok = !isOther(c);
    const img = await createImage(api, { ...RAW, visibility: 'private' }, OWNER);
    const up = await api.call('PUT', `/v2/images/${img.id}/file`, { headers: { ...h, ...OCTET }, body: Buffer.from('bytes') });
    expect(up.status, 'upload').toBe(ok ? 204 : 404);
    if (!ok) await uploadImage(api, img.id, 'bytes', OWNER);
    const patch = await api.call('PATCH', `/v2/images/${img.id}`, {
      headers: { ...h, 'Content-Type': V21 },
      body: '[{"op": "replace", "path": "/name", "value": "changed"}]',
    });
    expect(patch.status, 'patch').toBe(ok ? 200 : 404);
    expect((await api.call('PUT', `/v2/images/${img.id}/tags/t`, { headers: h })).status, 'tag').toBe(ok ? 204 : 404);
    const dl = await api.call('GET', `/v2/images/${img.id}/file`, { headers: h });
    expect(dl.status, 'download').toBe(ok ? 200 : 404);
    if (ok) expect(dl.text).toBe('bytes');
    expect((await api.call('POST', `/v2/images/${img.id}/actions/deactivate`, { headers: h })).status, 'deactivate').toBe(ok ? 204 : 404);
    if (!ok) expect((await api.call('POST', `/v2/images/${img.id}/actions/deactivate`, { headers: OWNER })).status).toBe(204);
    expect((await api.call('POST', `/v2/images/${img.id}/actions/reactivate`, { headers: h })).status, 'reactivate').toBe(ok ? 204 : 404);
    expect((await api.call('DELETE', `/v2/images/${img.id}`, { headers: h })).status, 'delete').toBe(ok ? 204 : 404);
    expect((await api.call('GET', `/v2/images/${img.id}`, { headers: OWNER })).status).toBe(ok ? 404 : 200);
  });

  it.each(row((c) => (isOther(c) ? 404 : 200)))('add member to a shared image: %s → %i', async (c, status) => {
    const img = await createImage(api, { visibility: 'shared' }, OWNER);
    expect((await api.call('POST', `/v2/images/${img.id}/members`, { headers: HEADERS[c], body: { member: 'proj4' } })).status).toBe(status);
  });

  describe('with proj2 a member of the shared image', () => {
    const sharedWithProj2 = async (): Promise<string> => {
      const img = await createImage(api, { visibility: 'shared' }, OWNER);
      const r = await api.call('POST', `/v2/images/${img.id}/members`, { headers: OWNER, body: { member: 'proj2' } });
      expect(r.status).toBe(200);
      return img.id;
    };

    it.each(row(() => 200))('list members: %s → %i', async (c, status) => {
      const id = await sharedWithProj2();
      expect((await api.call('GET', `/v2/images/${id}/members`, { headers: HEADERS[c] })).status).toBe(status);
    });

    it.each(row((c) => (c === 'admin' || isOther(c) ? 200 : 403)))('accept membership (PUT member proj2): %s → %i', async (c, status) => {
      const id = await sharedWithProj2();
      const r = await api.call('PUT', `/v2/images/${id}/members/proj2`, { headers: HEADERS[c], body: { status: 'accepted' } });
      expect(r.status).toBe(status);
    });

    it.each(row((c) => (isOther(c) ? 403 : 204)))('delete member: %s → %i', async (c, status) => {
      const id = await sharedWithProj2();
      expect((await api.call('DELETE', `/v2/images/${id}/members/proj2`, { headers: HEADERS[c] })).status).toBe(status);
    });
  });

  it.each(row((c) => (c === 'admin' ? 200 : isOther(c) ? 404 : 403)))('PATCH visibility → public: %s → %i', async (c, status) => {
    const img = await createImage(api, { visibility: 'private' }, OWNER);
    const r = await api.call('PATCH', `/v2/images/${img.id}`, {
      headers: { ...HEADERS[c], 'Content-Type': V21 },
      body: '[{"op": "replace", "path": "/visibility", "value": "public"}]',
    });
    expect(r.status).toBe(status);
  });

  it('roles are case-insensitive and comma-separated: "Member, ADMIN" is admin', async () => {
    const r = await api.call('POST', '/v2/images', { headers: as('proj5', 'Member, ADMIN'), body: { visibility: 'public' } });
    expect(r.status).toBe(201);
    expect(r.json().owner).toBe('proj5');
  });

  it.each(row(() => 200))('GET /v2/info/import: %s → %i', async (c, status) => {
    expect((await api.call('GET', '/v2/info/import', { headers: HEADERS[c] })).status).toBe(status);
  });
});
