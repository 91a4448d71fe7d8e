/** HEAD, GET and DELETE /v1/images/{id} (spec v1 §1.4, §3.4, §3.5, §3.7, §5). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN, RAW, V1_TIME_RE, as, createV1, headMeta, headV1, md5, meta, metaOf, putV1, startApi, upstreamMode, type Api,
} from './v1-helpers.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const MISSING = '3a0f8b4c-2d1e-4f5a-9b6c-7d8e9f0a1b2c';
const ALICE = as('alice');

describe('HEAD /v1/images/{id}', () => {
  it('answers 200, empty body, every non-null field per §1.4, ETag, no location', async () => {
    const data = Buffer.alloc(300, 3);
    const image = await createV1(api, meta({ name: 'New Name', container_format: 'ami', disk_format: 'ami', min_ram: 64, protected: true }, { prop1: 'val1' }), data);
    const r = await headV1(api, image.id);
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(0);
    const m = metaOf(r);
    expect(m.fields).toMatchObject({
      id: image.id, name: 'New Name', status: 'active', disk_format: 'ami', container_format: 'ami', size: '300',
      checksum: md5(data), is_public: 'False', protected: 'True', deleted: 'False', min_ram: '64', min_disk: '0', owner: 'admin',
    });
    expect(m.fields.created_at).toMatch(V1_TIME_RE);
    expect(m.fields.updated_at).toMatch(V1_TIME_RE);
    for (const absent of ['deleted_at', 'virtual_size', 'location']) expect(m.fields[absent]).toBeUndefined();
    expect(m.properties).toEqual({ prop1: 'val1' });
    expect(r.header('etag')).toBe(md5(data));
    expect(r.header('x-openstack-request-id')).toMatch(/^req-/);
  });

  it('shows a queued reserve (no checksum, no ETag) and is_public True for public images', async () => {
    const image = await createV1(api, meta({ name: 'pub', ...RAW, is_public: true }));
    const r = await headV1(api, image.id);
    const m = metaOf(r);
    expect(m.fields).toMatchObject({ status: 'queued', is_public: 'True', size: '0' });
    expect(m.fields.checksum).toBeUndefined();
    expect(r.header('etag')).toBeUndefined();
  });

  it('unknown ids, over-long ids and invisible images are 404 with an empty body', async () => {
    for (const id of [MISSING, `${MISSING}1`, '-1']) {
      const r = await headV1(api, id);
      expect(r.status, id).toBe(404);
      expect(r.body.length).toBe(0);
    }
    const priv = await createV1(api, meta({ name: 'admins', ...RAW }));
    expect((await headV1(api, priv.id, ALICE)).status).toBe(404);
  });

  it('a deleted image: 200 for admins with deleted True and deleted_at, 404 for others', async () => {
    const image = await createV1(api, { ...meta({ name: 'doomed', ...RAW }, { p: 'v' }), ...ALICE }, Buffer.from('bytes'));
    const del = await api.call('DELETE', `/v1/images/${image.id}`, { headers: ALICE });
    expect(del.status).toBe(200);
    if (upstreamMode) {
      // v2 never shows deleted images, not even to admins (README: upstream deviations).
      expect((await headV1(api, image.id, ADMIN)).status).toBe(404);
      return;
    }
    const m = await headMeta(api, image.id, ADMIN);
    expect(m.fields).toMatchObject({ status: 'deleted', deleted: 'True' });
    expect(m.fields.deleted_at).toMatch(V1_TIME_RE);
    expect((await headV1(api, image.id, ALICE)).status).toBe(404);
    expect((await api.call('GET', `/v1/images/${image.id}`)).status).toBe(404);
  });
});

describe('GET /v1/images/{id}', () => {
  it('streams the data with the meta headers, octet-stream, Content-Length, ETag', async () => {
    const data = Buffer.from('0123456789abcdef'.repeat(100));
    const image = await createV1(api, meta({ name: 'dl', ...RAW }, { k: 'v' }), data);
    const r = await api.call('GET', `/v1/images/${image.id}`);
    expect(r.status).toBe(200);
    expect(r.header('content-type')).toBe('application/octet-stream');
    expect(r.header('content-length')).toBe(String(data.length));
    expect(r.header('etag')).toBe(md5(data));
    expect(r.body.equals(data)).toBe(true);
    const m = metaOf(r);
    expect(m.fields).toMatchObject({ id: image.id, status: 'active', size: String(data.length), checksum: md5(data) });
    expect(m.properties).toEqual({ k: 'v' });
  });

  it('a queued image is 404 (not active); an unknown one 404', async () => {
    const image = await createV1(api, meta({ name: 'q', ...RAW }));
    const r = await api.call('GET', `/v1/images/${image.id}`);
    expect(r.status).toBe(404);
    expect(r.text).toContain('is not active');
    expect((await api.call('GET', `/v1/images/${MISSING}`)).status).toBe(404);
  });

  it('a deactivated image is 403 for admins too; HEAD still works; reactivated it downloads again', async () => {
    const image = await createV1(api, meta({ name: 'deact', ...RAW }), Buffer.from('zz'));
    expect((await api.call('POST', `/v2/images/${image.id}/actions/deactivate`)).status).toBe(204);
    const r = await api.call('GET', `/v1/images/${image.id}`);
    expect(r.status).toBe(403);
    expect(r.text).toContain(`Image ${image.id} is deactivated`);
    expect((await headMeta(api, image.id)).fields.status).toBe('deactivated');
    expect((await api.call('POST', `/v2/images/${image.id}/actions/reactivate`)).status).toBe(204);
    expect((await api.call('GET', `/v1/images/${image.id}`)).text).toBe('zz');
  });

  it('an invisible image is 404 for another project, and visible once public', async () => {
    const image = await createV1(api, { ...meta({ name: 'mine', ...RAW }), ...ALICE }, Buffer.from('secret'));
    expect((await api.call('GET', `/v1/images/${image.id}`, { headers: as('bob') })).status).toBe(404);
    expect((await putV1(api, image.id, { 'x-image-meta-is_public': 'True' })).status).toBe(200);
    const r = await api.call('GET', `/v1/images/${image.id}`, { headers: as('bob') });
    expect(r.status).toBe(200);
    expect(r.text).toBe('secret');
  });
});

describe('DELETE /v1/images/{id}', () => {
  it('answers 200 with an empty body; the image is gone for HEAD (non-admin) and GET', async () => {
    const image = await createV1(api, { ...meta({ name: 'del', ...RAW }), ...ALICE }, Buffer.from('x'));
    const r = await api.call('DELETE', `/v1/images/${image.id}`, { headers: ALICE });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(0);
    expect((await headV1(api, image.id, ALICE)).status).toBe(404);
    expect((await api.call('GET', `/v2/images/${image.id}`)).status).toBe(404);
  });

  it('a deleted image is 404 on a second DELETE (admin too)', async () => {
    const image = await createV1(api, meta({ name: 'twice', ...RAW }));
    expect((await api.call('DELETE', `/v1/images/${image.id}`)).status).toBe(200);
    expect((await api.call('DELETE', `/v1/images/${image.id}`)).status).toBe(404);
  });

  it('a protected image is 403 and survives; unprotected it can be deleted', async () => {
    const image = await createV1(api, meta({ name: 'prot', ...RAW, protected: true }));
    const r = await api.call('DELETE', `/v1/images/${image.id}`);
    expect(r.status).toBe(403);
    expect(r.text).toContain('Image is protected');
    expect((await headMeta(api, image.id)).fields.status).toBe('queued');
    expect((await putV1(api, image.id, { 'x-image-meta-protected': 'False', 'x-glance-registry-purge-props': 'false' })).status).toBe(200);
    expect((await api.call('DELETE', `/v1/images/${image.id}`)).status).toBe(200);
  });

  it('queued images can be deleted; unknown, blank and malformed ids are 404', async () => {
    const image = await createV1(api, meta({ name: 'q' }));
    expect((await api.call('DELETE', `/v1/images/${image.id}`)).status).toBe(200);
    for (const path of [`/v1/images/${MISSING}`, '/v1/images/', `/v1/images/${MISSING.slice(0, -1)}j`, '/v1/images/-1', `/v1/images/${MISSING}1`]) {
      expect((await api.call('DELETE', path)).status, path).toBe(404);
    }
  });

  it('another project cannot delete: 404 when invisible, 403 when public', async () => {
    const priv = await createV1(api, { ...meta({ name: 'p', ...RAW }), ...ALICE }, undefined);
    expect((await api.call('DELETE', `/v1/images/${priv.id}`, { headers: as('bob') })).status).toBe(404);
    const pub = await createV1(api, meta({ name: 'pub', ...RAW, is_public: true }));
    expect((await api.call('DELETE', `/v1/images/${pub.id}`, { headers: as('bob') })).status).toBe(403);
    expect((await headV1(api, pub.id)).status).toBe(200);
  });
});
