/** Compatibility extensions for openstacksdk / OSC image v1 (spec v1 §8.4 (a)–(c)). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAW, as, createV1, headMeta, md5, meta, startApi, type Api } from './v1-helpers.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const JSON_H = { 'Content-Type': 'application/json' };

describe('(a) JSON bodies are metadata', () => {
  it('POST {"image": {...}} (SDK create without data): 201 queued, fields and flattened properties', async () => {
    const r = await api.call('POST', '/v1/images', {
      headers: JSON_H,
      body: {
        image: {
          name: 'sdk-image', disk_format: 'qcow2', container_format: 'bare', min_disk: 5, min_ram: 256, is_public: false,
          is_protected: true, owner_id: 'projX', 'owner_specified.openstack.md5': '', 'owner_specified.openstack.object': 'images/sdk-image',
          properties: { os_distro: 'cirros' },
        },
      },
    });
    expect(r.status, r.text).toBe(201);
    const image = r.json().image;
    expect(image).toMatchObject({
      name: 'sdk-image', status: 'queued', disk_format: 'qcow2', container_format: 'bare', min_disk: 5, min_ram: 256,
      is_public: false, protected: true, owner: 'projX', size: 0, checksum: null,
    });
    expect(image.properties).toMatchObject({ os_distro: 'cirros', 'owner_specified.openstack.object': 'images/sdk-image' });
    expect(r.header('location')).toBe(`${api.url}/v1/images/${image.id}`);
    await api.call('PUT', `/v1/images/${image.id}`, { headers: JSON_H, body: { image: { protected: false } } });
  });

  it('SDK create with data: bare object POST, then PUT raw bytes with no Content-Type', async () => {
    const data = Buffer.from('sdk uploaded bytes');
    const r = await api.call('POST', '/v1/images', {
      headers: JSON_H,
      body: { name: 'sdk-data', disk_format: 'raw', container_format: 'bare', validate_checksum: false, properties: { k1: 'v1', k2: 'v2' } },
    });
    expect(r.status, r.text).toBe(201);
    const image = r.json().image;
    expect(image.status).toBe('queued');
    expect(image.properties).toEqual({ k1: 'v1', k2: 'v2' });
    // The body was metadata, not data: nothing was stored as image bytes.
    expect(image.size).toBe(0);
    const put = await api.call('PUT', `/v1/images/${image.id}`, {
      headers: { 'x-glance-registry-purge-props': 'false', 'x-image-meta-checksum': md5(data) },
      body: data,
    });
    expect(put.status, put.text).toBe(200);
    expect(put.json().image).toMatchObject({ status: 'active', size: data.length, checksum: md5(data), properties: { k1: 'v1', k2: 'v2' } });
  });

  it('an upload with no Content-Type is octet-stream on POST too', async () => {
    const data = Buffer.from('no content type at all');
    const r = await api.call('POST', '/v1/images', { headers: meta({ name: 'noct', ...RAW }), body: data });
    expect(r.status, r.text).toBe(201);
    expect(r.json().image).toMatchObject({ status: 'active', size: data.length, checksum: md5(data) });
  });

  it('PUT JSON metadata never purges and works on an active image (no 409)', async () => {
    const image = await createV1(api, meta({ name: 'json-put', ...RAW }, { keep1: 'a', keep2: 'b' }), Buffer.from('active'));
    const r = await api.call('PUT', `/v1/images/${image.id}`, {
      headers: JSON_H,
      body: { image: { id: image.id, name: 'renamed', min_ram: 64, properties: { added: 'c' }, flat: 'd' } },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json().image).toMatchObject({ name: 'renamed', min_ram: 64, status: 'active', size: 6 });
    expect(r.json().image.properties).toEqual({ keep1: 'a', keep2: 'b', added: 'c', flat: 'd' });
    expect((await headMeta(api, image.id)).properties).toEqual({ keep1: 'a', keep2: 'b', added: 'c', flat: 'd' });
    expect((await api.call('GET', `/v1/images/${image.id}`)).text).toBe('active');
  });

  it('JSON metadata goes through the same validation as headers', async () => {
    const cases: object[] = [
      { image: { disk_format: 'wrong' } },
      { image: { name: 'x'.repeat(256) } },
      { image: { min_ram: -1 } },
      { image: { disk_format: 'ami', container_format: 'bare' } },
      { image: { id: 'not-a-uuid' } },
    ];
    for (const body of cases) {
      const r = await api.call('POST', '/v1/images', { headers: JSON_H, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    for (const body of ['{broken', '[1,2]', '"text"']) {
      const r = await api.call('POST', '/v1/images', { headers: JSON_H, body });
      expect(r.status, body).toBe(400);
    }
    const pub = await api.call('POST', '/v1/images', { headers: { ...JSON_H, ...as('alice') }, body: { image: { name: 'p', is_public: true } } });
    expect(pub.status).toBe(403);
  });

  it('JSON owner is ignored for non-admins', async () => {
    const r = await api.call('POST', '/v1/images', { headers: { ...JSON_H, ...as('alice') }, body: { image: { name: 'o', owner_id: 'mallory' } } });
    expect(r.status).toBe(201);
    expect(r.json().image.owner).toBe('alice');
  });
});

describe('(c) GET /v1/images/{id}/file and Content-MD5', () => {
  it('serves the data like GET /v1/images/{id}, both with Content-MD5', async () => {
    const data = Buffer.from('download me via /file');
    const image = await createV1(api, meta({ name: 'file', ...RAW }), data);
    for (const path of [`/v1/images/${image.id}/file`, `/v1/images/${image.id}`]) {
      const r = await api.call('GET', path);
      expect(r.status, path).toBe(200);
      expect(r.body.equals(data)).toBe(true);
      expect(r.header('content-md5')).toBe(md5(data));
      expect(r.header('content-type')).toBe('application/octet-stream');
      expect(r.header('x-image-meta-id')).toBe(image.id);
    }
  });

  it('/file follows the v1 status rules: queued 404, deactivated 403, unknown 404', async () => {
    const queued = await createV1(api, meta({ name: 'fq', ...RAW }));
    expect((await api.call('GET', `/v1/images/${queued.id}/file`)).status).toBe(404);
    const image = await createV1(api, meta({ name: 'fd', ...RAW }), Buffer.from('x'));
    await api.call('POST', `/v2/images/${image.id}/actions/deactivate`);
    expect((await api.call('GET', `/v1/images/${image.id}/file`)).status).toBe(403);
    expect((await api.call('GET', '/v1/images/7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f/file')).status).toBe(404);
  });

  it('an empty active image downloads empty from /file with 200', async () => {
    const image = await createV1(api, meta({ name: 'zero', ...RAW, size: 0 }));
    const r = await api.call('GET', `/v1/images/${image.id}/file`);
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(0);
  });
});
