/** PUT /v1/images/{id} metadata (spec v1 §3.6, §2, §4.3). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, RAW, as, createV1, headMeta, md5, meta, putV1, startApi, upstreamMode, type Api } from './v1-helpers.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const ALICE = as('alice');
const NO_PURGE = { 'x-glance-registry-purge-props': 'false' };

describe('purge-props', () => {
  it('purges by default: tempest test_update_image_metadata', async () => {
    const image = await createV1(api, meta({ name: 'purge', ...RAW }, { key1: 'value1' }), Buffer.alloc(42));
    expect((await headMeta(api, image.id)).properties).toEqual({ key1: 'value1' });
    const r = await putV1(api, image.id, meta({}, { key1: 'alt1', key2: 'value2' }));
    expect(r.status, r.text).toBe(200);
    expect(r.header('content-type')).toMatch(/^application\/json/);
    expect(r.header('etag')).toBe(md5(Buffer.alloc(42)));
    expect(r.json().image.properties).toEqual({ key1: 'alt1', key2: 'value2' });
    expect((await headMeta(api, image.id)).properties).toEqual({ key1: 'alt1', key2: 'value2' });
  });

  it("Glance's own sequence: key2 alone purges key1; purge false keeps; no properties purges all", async () => {
    const image = await createV1(api, meta({ name: 'seq' }, { key1: 'v1' }));
    await putV1(api, image.id, meta({}, { key2: 'v2' }));
    expect((await headMeta(api, image.id)).properties).toEqual({ key2: 'v2' });
    await putV1(api, image.id, { ...meta({}, { key3: 'v3' }), ...NO_PURGE });
    expect((await headMeta(api, image.id)).properties).toEqual({ key2: 'v2', key3: 'v3' });
    // Lenient booleans: garbage is false, so no purge.
    await putV1(api, image.id, { ...meta({}, { key4: 'v4' }), 'x-glance-registry-purge-props': 'garbage' });
    expect((await headMeta(api, image.id)).properties).toEqual({ key2: 'v2', key3: 'v3', key4: 'v4' });
    await putV1(api, image.id, { ...meta({ name: 'renamed' }), 'x-glance-registry-purge-props': 'Yes' });
    const m = await headMeta(api, image.id);
    expect(m.properties).toEqual({});
    expect(m.fields.name).toBe('renamed');
  });

  it('an empty property value removes that property; a - in the name becomes _', async () => {
    const image = await createV1(api, meta({ name: 'empty' }, { 'foo-bar': 'x', gone: 'y' }));
    expect(image.properties).toEqual({ foo_bar: 'x', gone: 'y' });
    const r = await putV1(api, image.id, { 'x-image-meta-property-gone': '', ...NO_PURGE });
    expect(r.status).toBe(200);
    expect(r.json().image.properties).toEqual({ foo_bar: 'x' });
  });
});

describe('core fields', () => {
  it('updates name, min_ram, min_disk, protected; returns 18-key JSON', async () => {
    const image = await createV1(api, meta({ name: 'before', ...RAW }));
    const r = await putV1(api, image.id, meta({ name: 'after', min_ram: 128, min_disk: 2, protected: 'yes' }));
    expect(r.status, r.text).toBe(200);
    expect(r.json().image).toMatchObject({ name: 'after', min_ram: 128, min_disk: 2, protected: true });
    expect((await headMeta(api, image.id)).fields).toMatchObject({ name: 'after', min_ram: '128', min_disk: '2', protected: 'True' });
    await putV1(api, image.id, meta({ protected: false }));
  });

  it('formats may change on a queued image; the amazon rule copies disk_format to container_format', async () => {
    const image = await createV1(api, meta({ name: 'fmt', ...RAW }));
    const r = await putV1(api, image.id, meta({ disk_format: 'ami' }));
    expect(r.status, r.text).toBe(200);
    expect(r.json().image).toMatchObject({ disk_format: 'ami', container_format: 'ami' });
  });

  it('status or id: same value accepted, a different one is 403', async () => {
    const image = await createV1(api, meta({ name: 'st', ...RAW }), Buffer.from('a'));
    expect((await putV1(api, image.id, meta({ status: 'active', id: image.id }))).status).toBe(200);
    const s = await putV1(api, image.id, meta({ status: 'queued' }));
    expect(s.status).toBe(403);
    expect(s.text).toContain("Forbidden to modify 'status' of image.");
    const i = await putV1(api, image.id, meta({ id: '11111111-2222-4333-8444-555555555555' }));
    expect(i.status).toBe(403);
    expect(i.text).toContain("Forbidden to modify 'id' of image.");
  });

  it('size/checksum of an active image: 403 for a non-admin owner when different, same value fine', async () => {
    const data = Buffer.from('abc');
    const image = await createV1(api, { ...meta({ name: 'sz', ...RAW }), ...ALICE }, data);
    expect((await putV1(api, image.id, { ...meta({ size: 3, checksum: md5(data) }), ...ALICE })).status).toBe(200);
    const s = await putV1(api, image.id, { ...meta({ size: 4 }), ...ALICE });
    expect(s.status).toBe(403);
    expect(s.text).toContain("Forbidden to modify 'size' of active image.");
    expect((await putV1(api, image.id, { ...meta({ checksum: md5('other') }), ...ALICE })).status).toBe(403);
    expect((await headMeta(api, image.id)).fields).toMatchObject({ size: '3', checksum: md5(data) });
  });

  it('location on a non-queued image is 400', async () => {
    const image = await createV1(api, meta({ name: 'loc', ...RAW }), Buffer.from('a'));
    const r = await putV1(api, image.id, { 'x-image-meta-location': 'http://example.com/img' });
    expect(r.status).toBe(400);
    expect(r.text).toContain('Attempted to update Location field for an image not in queued status.');
    const c = await putV1(api, image.id, { 'x-glance-api-copy-from': 'http://example.com/img' });
    expect(c.status).toBe(400);
  });

  it('a deleted image cannot be updated: 403 for admins', async () => {
    const image = await createV1(api, meta({ name: 'deleted' }));
    expect((await api.call('DELETE', `/v1/images/${image.id}`)).status).toBe(200);
    const r = await putV1(api, image.id, meta({ name: 'x' }));
    // Upstream mode: v2 never shows deleted images, so the image is simply not found.
    if (upstreamMode) {
      expect(r.status).toBe(404);
      return;
    }
    expect(r.status).toBe(403);
    expect(r.text).toContain('Forbidden to update deleted image.');
  });
});

describe('authorization', () => {
  it('is_public True by a non-admin is 403 (create and update); False is fine', async () => {
    const c = await api.call('POST', '/v1/images', { headers: { ...meta({ name: 'pub', is_public: true }), ...ALICE, 'Content-Length': '0' } });
    expect(c.status).toBe(403);
    const image = await createV1(api, { ...meta({ name: 'priv', is_public: false }), ...ALICE });
    expect((await putV1(api, image.id, { ...meta({ is_public: true }), ...ALICE })).status).toBe(403);
    expect((await putV1(api, image.id, { ...meta({ is_public: false }), ...ALICE })).status).toBe(200);
    expect((await headMeta(api, image.id)).fields.is_public).toBe('False');
  });

  it('an admin publishes and unpublishes; is_public false on a public image makes it not public', async () => {
    const image = await createV1(api, { ...meta({ name: 'pp' }), ...ALICE });
    expect((await putV1(api, image.id, meta({ is_public: '1' }))).json().image.is_public).toBe(true);
    expect((await api.call('GET', `/v2/images/${image.id}`)).json().visibility).toBe('public');
    expect((await putV1(api, image.id, meta({ is_public: false }))).json().image.is_public).toBe(false);
    expect((await api.call('GET', `/v2/images/${image.id}`)).json().visibility).toBe('shared');
  });

  it('owner is silently ignored for non-admins, honoured for admins', async () => {
    const image = await createV1(api, { ...meta({ name: 'own', owner: 'mallory' }), ...ALICE });
    expect(image.owner).toBe('alice');
    const r = await putV1(api, image.id, { ...meta({ owner: 'mallory' }), ...ALICE, ...NO_PURGE });
    expect(r.status).toBe(200);
    expect(r.json().image.owner).toBe('alice');
    const admin = await putV1(api, image.id, { ...meta({ owner: 'carol' }), ...NO_PURGE }, undefined);
    expect(admin.json().image.owner).toBe('carol');
    const created = await createV1(api, meta({ name: 'admin-owned', owner: 'dave' }), undefined);
    expect(created.owner).toBe('dave');
  });

  it('another project cannot update a public image (403) nor see a private one (404)', async () => {
    const pub = await createV1(api, meta({ name: 'p', is_public: true }));
    const r = await putV1(api, pub.id, { ...meta({ name: 'hijack' }), ...as('bob') });
    expect(r.status).toBe(403);
    expect((await headMeta(api, pub.id)).fields.name).toBe('p');
    const priv = await createV1(api, { ...meta({ name: 'a' }), ...ALICE });
    expect((await putV1(api, priv.id, { ...meta({ name: 'x' }), ...as('bob') })).status).toBe(404);
    expect((await putV1(api, pub.id, { ...as('bob') })).status).toBe(403);
  });

  it('a v1 reserved property name is refused with 403', async () => {
    const image = await createV1(api, meta({ name: 'r' }));
    const r = await putV1(api, image.id, { 'x-image-meta-property-os_glance_foo': 'x', ...ADMIN });
    expect(r.status).toBe(403);
  });
});
