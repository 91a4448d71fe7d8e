/**
 * copy-from and external locations against a local fixture server, with the fetch guard opened
 * for 127.0.0.1 (spec v1 §3.3 modes, §3.5 remote images, §6 location is write-only).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import {
  RAW, as, createV1, detail, headMeta, md5, meta, metaOf, postV1, putV1, startApi, startFixture, upstreamMode, waitForV1Status,
  type Api, type Fixture,
} from './v1-helpers.js';

let api: Api;
let fixture: Fixture;
const BYTES = Buffer.from('remote image bytes '.repeat(500));
const OTHER = Buffer.from('the second remote file');
const FILES: Record<string, Buffer> = { '/img.bin': BYTES, '/other.bin': OTHER, '/temp.bin': OTHER };

beforeAll(async () => {
  fixture = await startFixture(FILES);
  api = await startApi({ fetch: { ...DEFAULT_CONFIG.fetch, allow: ['127.0.0.1/32'], ports: null } });
});
afterAll(async () => {
  await api.close();
  await fixture.close();
});

describe('x-glance-api-copy-from', () => {
  it('POST: 201 queued or saving, then active with the right size and checksum; GET serves the copy', async () => {
    const r = await postV1(api, { ...meta({ name: 'copied', ...RAW }, { p: 'v' }), 'x-glance-api-copy-from': `${fixture.url}/img.bin` });
    expect(r.status, r.text).toBe(201);
    const image = r.json().image;
    expect(['queued', 'saving']).toContain(image.status);
    expect(image.properties).toEqual({ p: 'v' });
    const m = await waitForV1Status(api, image.id, ['active', 'killed']);
    expect(m.fields).toMatchObject({ status: 'active', size: String(BYTES.length), checksum: md5(BYTES) });
    expect(m.properties).toEqual({ p: 'v' });
    const seen = fixture.requests.length;
    const get = await api.call('GET', `/v1/images/${image.id}`);
    expect(get.status).toBe(200);
    expect(get.body.equals(BYTES)).toBe(true);
    // Copied into the store: downloading does not contact the source again.
    expect(fixture.requests.length).toBe(seen);
  });

  it('a copy-from of a 404 path ends killed, is not downloadable and not listed', async () => {
    const name = `copy404-${Date.now()}`;
    const r = await postV1(api, { ...meta({ name, ...RAW }), 'x-glance-api-copy-from': `${fixture.url}/missing.bin` });
    expect(r.status, r.text).toBe(201);
    const id = r.json().image.id;
    const m = await waitForV1Status(api, id, ['active', 'killed']);
    expect(m.fields.status).toBe('killed');
    expect((await api.call('GET', `/v1/images/${id}`)).status).toBe(404);
    expect(await detail(api, `name=${name}`)).toEqual([]);
    expect(fixture.requests.some((q) => q.url === '/missing.bin')).toBe(true);
  });

  it('PUT copy-from on a queued reserve works; on an active image it is 400', async () => {
    const image = await createV1(api, { ...meta({ name: 'put-copy', ...RAW }), ...as('alice') });
    const r = await putV1(api, image.id, { ...as('alice'), 'x-glance-api-copy-from': `${fixture.url}/other.bin` });
    expect(r.status, r.text).toBe(200);
    const m = await waitForV1Status(api, image.id, ['active', 'killed']);
    expect(m.fields).toMatchObject({ status: 'active', checksum: md5(OTHER), size: String(OTHER.length) });
    const again = await putV1(api, image.id, { ...as('alice'), 'x-glance-api-copy-from': `${fixture.url}/img.bin` });
    expect(again.status).toBe(400);
  });

  it('copy-from without formats is 400', async () => {
    const r = await postV1(api, { 'x-image-meta-name': 'nofmt', 'x-glance-api-copy-from': `${fixture.url}/img.bin` });
    expect(r.status).toBe(400);
  });
});

describe('x-image-meta-location', () => {
  it('POST: active at once with the remote size; GET streams the remote bytes; location never shown', async () => {
    const url = `${fixture.url}/img.bin`;
    const r = await postV1(api, { ...meta({ name: 'remote', ...RAW, is_public: false }, { key1: 'v1', key2: 'v2' }), 'x-image-meta-location': url });
    expect(r.status, r.text).toBe(201);
    const image = r.json().image;
    expect(image).toMatchObject({ status: 'active', size: BYTES.length, is_public: false, properties: { key1: 'v1', key2: 'v2' } });
    expect(Object.keys(image)).not.toContain('location');
    expect(r.text).not.toContain(fixture.url);
    const before = fixture.requests.filter((q) => q.method === 'GET').length;
    const get = await api.call('GET', `/v1/images/${image.id}`);
    expect(get.status).toBe(200);
    expect(get.body.equals(BYTES)).toBe(true);
    // Upstream mode without v2 locations copies the bytes once at creation (README deviation).
    expect(fixture.requests.filter((q) => q.method === 'GET').length).toBe(before + (upstreamMode ? 0 : 1));
    const head = await api.call('HEAD', `/v1/images/${image.id}`);
    expect(metaOf(head).fields.location).toBeUndefined();
    for (const res of [head, get]) {
      for (const [k, v] of Object.entries(res.headers)) expect(`${k}: ${String(v)}`).not.toContain(fixture.url);
    }
    for (const path of ['/v1/images/detail', `/v2/images/${image.id}`, '/v2/images']) {
      const text = (await api.call('GET', path)).text;
      expect(text, path).not.toContain(fixture.url);
    }
  });

  it('a declared size that differs from the remote size is 409', async () => {
    const r = await postV1(api, { ...meta({ name: 'sz', ...RAW, size: BYTES.length + 1 }), 'x-image-meta-location': `${fixture.url}/img.bin` });
    expect(r.status).toBe(409);
    expect(r.text).toContain('Provided image size must match the stored image size.');
    const ok = await postV1(api, { ...meta({ name: 'sz2', ...RAW, size: BYTES.length }), 'x-image-meta-location': `${fixture.url}/img.bin` });
    expect(ok.status).toBe(201);
  });

  it('a location whose remote answers 404 is 404', async () => {
    const r = await postV1(api, { ...meta({ name: 'gone', ...RAW }), 'x-image-meta-location': `${fixture.url}/missing.bin` });
    expect(r.status).toBe(404);
  });

  it('PUT location on a queued reserve activates it; on an active image 400', async () => {
    const image = await createV1(api, meta({ name: 'put-loc', ...RAW }));
    const r = await putV1(api, image.id, { 'x-image-meta-location': `${fixture.url}/other.bin`, 'x-glance-registry-purge-props': 'false' });
    expect(r.status, r.text).toBe(200);
    expect(r.json().image).toMatchObject({ status: 'active', size: OTHER.length });
    expect((await api.call('GET', `/v1/images/${image.id}`)).body.equals(OTHER)).toBe(true);
    const again = await putV1(api, image.id, { 'x-image-meta-location': `${fixture.url}/img.bin` });
    expect(again.status).toBe(400);
    expect((await headMeta(api, image.id)).fields.size).toBe(String(OTHER.length));
  });

  it('location together with data or copy-from is 400', async () => {
    const both = await postV1(api, { ...meta(RAW), 'x-image-meta-location': `${fixture.url}/img.bin`, 'x-glance-api-copy-from': `${fixture.url}/img.bin` });
    expect(both.status).toBe(400);
    const withData = await postV1(api, { ...meta(RAW), 'x-image-meta-location': `${fixture.url}/img.bin` }, Buffer.from('abc'));
    expect(withData.status).toBe(400);
  });
});

describe('remote failures', () => {
  it('a location on a port where nothing listens is refused with 400 (unreachable, §3.3 step 4)', async () => {
    const gone = await startFixture({});
    const url = `${gone.url}/img.bin`;
    await gone.close();
    const r = await postV1(api, { ...meta({ name: 'unreachable', ...RAW }), 'x-image-meta-location': url });
    expect(r.status, r.text).toBe(400);
  });

  it('GET of a location image: remote 404 → 404, remote down → 503 (§3.5)', async () => {
    const image = await createV1(api, { ...meta({ name: 'temp', ...RAW }), 'x-image-meta-location': `${fixture.url}/temp.bin` });
    expect(image.status).toBe('active');
    delete FILES['/temp.bin'];
    if (upstreamMode) {
      // The bytes were copied to the upstream at creation: the remote no longer matters.
      const copied = await api.call('GET', `/v1/images/${image.id}`);
      expect(copied.status).toBe(200);
      expect(copied.body.length).toBe(image.size);
      return;
    }
    expect((await api.call('GET', `/v1/images/${image.id}`)).status).toBe(404);
    const other = await startFixture({ '/x.bin': OTHER });
    const down = await createV1(api, { ...meta({ name: 'down', ...RAW }), 'x-image-meta-location': `${other.url}/x.bin` });
    await other.close();
    expect((await api.call('GET', `/v1/images/${down.id}`)).status).toBe(503);
  });
});
