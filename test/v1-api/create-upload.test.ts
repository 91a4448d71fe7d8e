/** POST /v1/images in its modes, and PUT data (spec v1 §3.3, §3.6, §3.9). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UUID_RE } from '../support/api-gateway.js';
import {
  ADMIN, RAW, V1_KEYS, V1_TIME_RE, chunked, createV1, headMeta, md5, meta, postV1, putV1, startApi, type Api,
} from './v1-helpers.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

describe('POST /v1/images: reserve', () => {
  it('without data reserves a queued image: 201, Location, 18-key body, size 0', async () => {
    const r = await postV1(api, meta({ name: 'New Name', container_format: 'ami', disk_format: 'ami', is_public: false }, { prop1: 'val1' }));
    expect(r.status, r.text).toBe(201);
    expect(r.header('content-type')).toMatch(/^application\/json/);
    const image = r.json().image;
    expect(Object.keys(image).sort()).toEqual(V1_KEYS);
    expect(image).toMatchObject({
      name: 'New Name', status: 'queued', size: 0, checksum: null, container_format: 'ami', disk_format: 'ami',
      is_public: false, protected: false, min_ram: 0, min_disk: 0, owner: 'admin', properties: { prop1: 'val1' },
      deleted: false, deleted_at: null, virtual_size: null,
    });
    expect(image.id).toMatch(UUID_RE);
    expect(image.created_at).toMatch(V1_TIME_RE);
    expect(image.updated_at).toMatch(V1_TIME_RE);
    expect(r.header('location')).toBe(`${api.url}/v1/images/${image.id}`);
    expect(r.header('etag')).toBeUndefined();
    expect(r.header('x-openstack-request-id')).toMatch(/^req-/);
  });

  it('with x-image-meta-size: 0 creates an active image without data', async () => {
    const image = await createV1(api, meta({ name: 'empty', ...RAW, size: 0 }));
    expect(image.status).toBe('active');
    expect(image.size).toBe(0);
    const get = await api.call('GET', `/v1/images/${image.id}`);
    expect(get.status).toBe(200);
    expect(get.body.length).toBe(0);
    expect(get.header('content-length')).toBe('0');
  });

  it('a reserve without a name has no name header and a null name', async () => {
    const image = await createV1(api, {});
    expect(image.name).toBeNull();
    expect(image.disk_format).toBeNull();
    const m = await headMeta(api, image.id);
    expect(m.fields.name).toBeUndefined();
    expect(m.fields.status).toBe('queued');
  });

  it('honours a client-chosen id; the same id again is 409; a malformed id is 400', async () => {
    const id = '0c9a5c4e-1f0b-4c2a-9d4e-7a1b2c3d4e5f';
    const image = await createV1(api, meta({ id, name: 'chosen' }));
    expect(image.id).toBe(id);
    expect((await postV1(api, meta({ id }))).status).toBe(409);
    expect((await postV1(api, meta({ id: 'not-a-uuid' }))).status).toBe(400);
  });
});

describe('POST /v1/images: upload', () => {
  it('with a chunked body: 201 active, size and checksum, ETag', async () => {
    const data = Buffer.alloc(1024, 7);
    const r = await postV1(api, meta({ name: 'chunked', ...RAW }, { a: 'b' }), chunked(data, 4));
    expect(r.status, r.text).toBe(201);
    const image = r.json().image;
    expect(image).toMatchObject({ status: 'active', size: 1024, checksum: md5(data), properties: { a: 'b' } });
    expect(r.header('etag')).toBe(md5(data));
    const get = await api.call('GET', `/v1/images/${image.id}`);
    expect(get.status).toBe(200);
    expect(get.body.equals(data)).toBe(true);
  });

  it('with Content-Length: 201 active', async () => {
    const data = Buffer.from('hello v1 world');
    const r = await postV1(api, meta({ name: 'cl', ...RAW }), data);
    expect(r.status, r.text).toBe(201);
    expect(r.json().image).toMatchObject({ status: 'active', size: data.length, checksum: md5(data) });
  });

  it('with matching declared size and checksum: 201 active', async () => {
    const data = Buffer.from('declared and matching');
    const image = await createV1(api, meta({ name: 'match', ...RAW, size: data.length, checksum: md5(data) }), data);
    expect(image).toMatchObject({ status: 'active', size: data.length, checksum: md5(data) });
  });

  it('data without formats is 400 and leaves the reserved image queued', async () => {
    const name = `noformat-${Date.now()}`;
    const r = await postV1(api, meta({ name }), Buffer.from('xyz'));
    expect(r.status).toBe(400);
    expect(r.text).toContain('Disk format is not specified.');
    const listed = await api.call('GET', `/v1/images/detail?name=${name}`);
    const images = listed.json().images;
    expect(images.length).toBe(1);
    expect(images[0].status).toBe('queued');
  });

  it('a Content-Type other than octet-stream is 400', async () => {
    const r = await postV1(api, { ...meta({ name: 'badtype', ...RAW }), 'Content-Type': 'text/plain' }, Buffer.from('xyz'));
    expect(r.status).toBe(400);
    expect(r.text).toContain('Content-Type must be application/octet-stream');
  });

  it('more than one image source is 400', async () => {
    const r = await postV1(api, { ...meta({ name: 'multi', ...RAW }), 'x-glance-api-copy-from': 'http://example.com/x' }, Buffer.from('abc'));
    expect(r.status).toBe(400);
    expect(r.text).toContain("It's invalid to provide multiple image sources.");
  });

  it('an empty location or copy-from is 400', async () => {
    const loc = await postV1(api, { ...meta(RAW), 'x-image-meta-location': '' });
    expect(loc.status).toBe(400);
    expect(loc.text).toContain('External source should not be empty');
    const cf = await postV1(api, { ...meta(RAW), 'x-glance-api-copy-from': '' });
    expect(cf.status).toBe(400);
  });
});

describe('PUT /v1/images/{id} with data', () => {
  it('reserve then chunked upload: queued → active, properties kept (tempest test_register_then_upload)', async () => {
    const image = await createV1(api, meta({ name: 'New Name', container_format: 'ami', disk_format: 'ami', is_public: false }, { prop1: 'val1' }));
    expect(image.status).toBe('queued');
    const data = Buffer.alloc(1024, 1);
    // No purge header: an upload never purges properties.
    const r = await putV1(api, image.id, {}, chunked(data));
    expect(r.status, r.text).toBe(200);
    expect(r.header('location')).toBeUndefined();
    expect(r.header('etag')).toBe(md5(data));
    expect(r.json().image).toMatchObject({ status: 'active', size: 1024, checksum: md5(data), properties: { prop1: 'val1' } });
    const m = await headMeta(api, image.id);
    expect(m.fields.status).toBe('active');
    expect(m.properties).toEqual({ prop1: 'val1' });
  });

  it('upload with Content-Length and new properties adds them without purging', async () => {
    const image = await createV1(api, meta({ name: 'up', ...RAW }, { keep: 'me' }));
    const data = Buffer.from('content-length upload');
    const r = await putV1(api, image.id, meta({}, { added: 'yes' }), data);
    expect(r.status, r.text).toBe(200);
    expect(r.json().image.properties).toEqual({ keep: 'me', added: 'yes' });
    expect(r.json().image.size).toBe(data.length);
  });

  it('an upload never purges, even with x-glance-registry-purge-props: true', async () => {
    const image = await createV1(api, meta({ name: 'purge-true', ...RAW }, { stays: 'here' }));
    const r = await putV1(api, image.id, { 'x-glance-registry-purge-props': 'true' }, Buffer.from('bytes'));
    expect(r.status, r.text).toBe(200);
    expect(r.json().image.properties).toEqual({ stays: 'here' });
  });

  it('data on an active image is 409 and the data is unchanged', async () => {
    const data = Buffer.from('original');
    const image = await createV1(api, meta({ name: 'active', ...RAW }), data);
    const r = await putV1(api, image.id, {}, Buffer.from('replacement'));
    expect(r.status).toBe(409);
    expect(r.text).toContain('Cannot upload to an unqueued image');
    const get = await api.call('GET', `/v1/images/${image.id}`);
    expect(get.body.toString()).toBe('original');
  });

  it('data on a queued image without formats is 400', async () => {
    const image = await createV1(api, meta({ name: 'noformats' }));
    const r = await putV1(api, image.id, {}, Buffer.from('x'));
    expect(r.status).toBe(400);
  });

  it('formats given in the same PUT as the data are applied first', async () => {
    const image = await createV1(api, meta({ name: 'late-formats' }));
    const data = Buffer.from('late');
    const r = await putV1(api, image.id, meta(RAW), data);
    expect(r.status, r.text).toBe(200);
    expect(r.json().image).toMatchObject({ status: 'active', disk_format: 'raw', container_format: 'bare' });
  });

  it('PUT on an unknown image is 404', async () => {
    const r = await putV1(api, '6f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f', meta({ name: 'x' }), undefined);
    expect(r.status).toBe(404);
    const r2 = await api.call('PUT', '/v1/images/6f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f', { headers: { ...ADMIN, 'x-image-meta-name': 'y' } });
    expect(r2.status).toBe(404);
  });
});
