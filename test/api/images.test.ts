/** POST / GET / DELETE /v2/images[/{id}] (spec v2 §3.1, §5.1, §5.2, §5.5). PATCH: patch.test.ts. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  as,
  createImage,
  plainDetailError,
  plainError,
  REQ_ID_RE,
  startApi,
  UUID_RE,
  V2_TIME_RE,
  type Api,
} from '../support/api-gateway.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

const BASE_KEYS = [
  'name', 'disk_format', 'container_format', 'visibility', 'size', 'virtual_size', 'status', 'checksum', 'protected',
  'min_ram', 'min_disk', 'owner', 'os_hidden', 'os_hash_algo', 'os_hash_value', 'id', 'created_at', 'updated_at',
  'tags', 'self', 'file', 'schema',
];

describe('POST /v2/images', () => {
  it('201 with the full representation, Location and import-methods headers', async () => {
    const r = await api.call('POST', '/v2/images', { headers: as('proj1'), body: { name: 'img1', tags: ['a', 'b', 'a'] } });
    expect(r.status).toBe(201);
    expect(r.header('content-type')).toBe('application/json');
    expect(r.header('x-openstack-request-id')).toMatch(REQ_ID_RE);
    const img = r.json();
    expect(Object.keys(img)).toEqual(BASE_KEYS);
    expect(img.id).toMatch(UUID_RE);
    expect(r.header('location')).toBe(`${api.url}/v2/images/${img.id}`);
    expect(r.header('openstack-image-import-methods')).toBe('glance-direct,web-download');
    expect(r.header('openstack-image-store-ids')).toBeUndefined();
    expect(img).toMatchObject({
      name: 'img1', disk_format: null, container_format: null, visibility: 'shared', size: null, virtual_size: null,
      status: 'queued', checksum: null, protected: false, min_ram: 0, min_disk: 0, owner: 'proj1', os_hidden: false,
      os_hash_algo: null, os_hash_value: null,
      self: `/v2/images/${img.id}`, file: `/v2/images/${img.id}/file`, schema: '/v2/schemas/image',
    });
    expect([...img.tags].sort()).toEqual(['a', 'b']);
    expect(img.created_at).toMatch(V2_TIME_RE);
    expect(img.updated_at).toBe(img.created_at);
  });

  it('extra properties come first, in body order, as strings', async () => {
    const img = await createImage(api, { zeta: 'z', name: 'props', alpha: 'a', os_distro: 'debian' });
    expect(Object.keys(img)).toEqual(['zeta', 'alpha', 'os_distro', ...BASE_KEYS]);
    expect(img).toMatchObject({ zeta: 'z', alpha: 'a', os_distro: 'debian' });
  });

  it('an extra property named __proto__ is shown like any other (and constructor / toString too)', async () => {
    const r = await api.call('POST', '/v2/images', { body: '{"__proto__": "p", "constructor": "c", "toString": "t"}' });
    expect(r.status).toBe(201);
    const created = JSON.parse(r.text) as Record<string, unknown>;
    expect(Object.keys(created).slice(0, 3)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getOwnPropertyDescriptor(created, '__proto__')?.value).toBe('p');
    const shown = JSON.parse((await api.call('GET', `/v2/images/${created.id as string}`)).text) as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(shown, '__proto__')?.value).toBe('p');
  });

  it('{} is a valid body; admins without headers own images in project "admin"', async () => {
    const img = await createImage(api, {});
    expect(img.owner).toBe('admin');
    expect(img.name).toBeNull();
  });

  it('a client-chosen id is used; reusing it (even after delete) → 409', async () => {
    const id = randomUUID();
    const img = await createImage(api, { id });
    expect(img.id).toBe(id);
    const dup = await api.call('POST', '/v2/images', { body: { id } });
    expect(dup.status).toBe(409);
    expect(dup.text).toBe(plainError('409 Conflict', `Image ID ${id} already exists!`));
    expect((await api.call('DELETE', `/v2/images/${id}`)).status).toBe(204);
    expect((await api.call('POST', '/v2/images', { body: { id } })).status).toBe(409);
  });

  it.each(['direct_url', 'self', 'file', 'schema', 'stores', 'created_at', 'updated_at', 'status', 'checksum', 'size', 'virtual_size'])(
    'read-only %s → 403',
    async (key) => {
      const value = ['size', 'virtual_size'].includes(key) ? 5 : key === 'status' ? 'active' : 'x';
      const r = await api.call('POST', '/v2/images', { body: { [key]: value } });
      expect(r.status).toBe(403);
      expect(r.text).toBe(plainError('403 Forbidden', `Attribute '${key}' is read-only.`));
    },
  );

  it('os_hash_algo / os_hash_value on create → 403 read-only (quirk §15 #2 fixed)', async () => {
    for (const key of ['os_hash_algo', 'os_hash_value']) {
      const r = await api.call('POST', '/v2/images', { body: { [key]: 'x' } });
      expect(r.status).toBe(403);
      expect(r.text).toContain(`Attribute '${key}' is read-only.`);
    }
  });

  it.each(['os_glance_x', 'location', 'deleted', 'deleted_at'])('reserved %s → 403 (detail form)', async (key) => {
    const r = await api.call('POST', '/v2/images', { body: { [key]: 'x' } });
    expect(r.status).toBe(403);
    expect(r.text).toBe(plainDetailError('403 Forbidden', 'Access was denied to this resource.', `Attribute '${key}' is reserved.`));
  });

  it('policy: non-admin public → 403, other owner → 403, community → 201', async () => {
    const pub = await api.call('POST', '/v2/images', { headers: as('p1'), body: { visibility: 'public' } });
    expect(pub.status).toBe(403);
    expect(pub.text).toBe(plainError('403 Forbidden', 'You are not authorized to complete publicize_image action.'));
    const other = await api.call('POST', '/v2/images', { headers: as('p1'), body: { owner: 'p2' } });
    expect(other.status).toBe(403);
    expect(other.text).toBe(plainError('403 Forbidden', "You are not permitted to create images owned by 'p2'."));
    const comm = await api.call('POST', '/v2/images', { headers: as('p1'), body: { visibility: 'community' } });
    expect(comm.status).toBe(201);
    const reader = await api.call('POST', '/v2/images', { headers: as('p1', 'reader'), body: {} });
    expect(reader.status).toBe(201);
    expect((await api.call('POST', '/v2/images', { body: { visibility: 'public', owner: 'p9' } })).json().owner).toBe('p9');
  });

  it.each<[string, object, string]>([
    ['negative min_ram', { min_ram: -1 }, "Invalid value '-1' for parameter 'min_ram': Cannot be a negative value"],
    ['min_disk out of range', { min_disk: 2147483648 }, "'min_disk' value out of range, must not exceed 2147483647."],
    ['extra key of 256 chars', { ['k'.repeat(256)]: 'v' }, 'Custom property should not be greater than 255 characters.'],
  ])('%s → 400 with the Glance message', async (_what, body, message) => {
    const r = await api.call('POST', '/v2/images', { body });
    expect(r.status).toBe(400);
    expect(r.text).toBe(plainError('400 Bad Request', message));
  });

  it('a JSON array body → 400, not 500 (quirk §15 #1)', async () => {
    const r = await api.call('POST', '/v2/images', { body: '[]' });
    expect(r.status).toBe(400);
    expect(r.text).toBe(plainError('400 Bad Request', 'Unexpected body type. Expected list/dict.'));
  });

  it('a chunked JSON body (no Content-Length) is read', async () => {
    const body = (async function* () { yield Buffer.from('{"name": '); yield Buffer.from('"chunked"}'); })();
    const r = await api.call('POST', '/v2/images', { body });
    expect(r.status, r.text).toBe(201);
    expect(r.json().name).toBe('chunked');
  });

  it('Content-Type of the JSON body is not checked', async () => {
    const r = await api.call('POST', '/v2/images', { headers: { 'Content-Type': 'text/plain' }, body: '{"name": "tp"}' });
    expect(r.status).toBe(201);
    expect(r.json().name).toBe('tp');
  });
});

describe('GET /v2/images/{id}', () => {
  it('200 and the same representation as create', async () => {
    const img = await createImage(api, { name: 'show', k: 'v' }, as('show'));
    const r = await api.call('GET', `/v2/images/${img.id}`, { headers: as('show') });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual(img);
  });

  it.each([
    ['unknown', '00000000-0000-0000-0000-000000000000'],
    ['not a uuid', 'not-a-uuid'],
    ['37 characters', `${randomUUID()}0`],
  ])('%s id → 404', async (_what, id) => {
    const r = await api.call('GET', `/v2/images/${id}`);
    expect(r.status).toBe(404);
    expect(r.text).toBe(plainError('404 Not Found', `No image found with ID ${id}`));
  });

  it('invisible images → 404, never 403', async () => {
    const img = await createImage(api, { visibility: 'private' }, as('owner-a'));
    const r = await api.call('GET', `/v2/images/${img.id}`, { headers: as('owner-b') });
    expect(r.status).toBe(404);
    expect(r.text).toBe(plainError('404 Not Found', `No image found with ID ${img.id}`));
  });
});

describe('DELETE /v2/images/{id}', () => {
  it('204 empty; then GET and DELETE → 404', async () => {
    const img = await createImage(api, {}, as('del'));
    const r = await api.call('DELETE', `/v2/images/${img.id}`, { headers: as('del') });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect((await api.call('GET', `/v2/images/${img.id}`, { headers: as('del') })).status).toBe(404);
    const again = await api.call('DELETE', `/v2/images/${img.id}`, { headers: as('del') });
    expect(again.status).toBe(404);
    expect(again.text).toBe(plainError('404 Not Found', `Failed to find image ${img.id} to delete`));
  });

  it('protected → 403; not owner → 403; invisible → 404', async () => {
    const img = await createImage(api, { protected: true, visibility: 'community' }, as('del2'));
    const p = await api.call('DELETE', `/v2/images/${img.id}`, { headers: as('del2') });
    expect(p.status).toBe(403);
    expect(p.text).toBe(plainError('403 Forbidden', `Image ${img.id} is protected and cannot be deleted.`));
    const other = await api.call('DELETE', `/v2/images/${img.id}`, { headers: as('someone') });
    expect(other.status).toBe(403);
    expect(other.text).toBe(plainError('403 Forbidden', 'You do not own this image'));
    const priv = await createImage(api, { visibility: 'private' }, as('del2'));
    const inv = await api.call('DELETE', `/v2/images/${priv.id}`, { headers: as('someone') });
    expect(inv.status).toBe(404);
  });
});

describe('deactivate / reactivate', () => {
  it('204s, 403 for queued, owner allowed, others 403/404', async () => {
    const img = await createImage(api, { disk_format: 'raw', container_format: 'bare' }, as('act'));
    const q = await api.call('POST', `/v2/images/${img.id}/actions/deactivate`, { headers: as('act') });
    expect(q.status).toBe(403);
    expect(q.text).toBe(plainError('403 Forbidden', "Not allowed to deactivate image in status 'queued'"));
    const up = await api.call('PUT', `/v2/images/${img.id}/file`, {
      headers: { ...as('act'), 'Content-Type': 'application/octet-stream' },
      body: Buffer.from('abc'),
    });
    expect(up.status).toBe(204);
    expect((await api.call('POST', `/v2/images/${img.id}/actions/deactivate`, { headers: as('act') })).status).toBe(204);
    expect((await api.call('POST', `/v2/images/${img.id}/actions/deactivate`, { headers: as('act') })).status).toBe(204);
    expect((await api.call('GET', `/v2/images/${img.id}`, { headers: as('act') })).json().status).toBe('deactivated');
    const other = await api.call('POST', `/v2/images/${img.id}/actions/reactivate`, { headers: as('nobody') });
    expect(other.status).toBe(404);
    expect((await api.call('POST', `/v2/images/${img.id}/actions/reactivate`, { headers: as('act') })).status).toBe(204);
    expect((await api.call('POST', `/v2/images/${img.id}/actions/reactivate`, { headers: as('act') })).status).toBe(204);
    expect((await api.call('GET', `/v2/images/${img.id}`, { headers: as('act') })).json().status).toBe('active');
  });
});
