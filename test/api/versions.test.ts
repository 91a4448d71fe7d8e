/** Version discovery and negotiation (spec v2 §2). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImage, startApi, type Api } from '../support/api-gateway.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

const DEFAULT_IDS = ['v2.15', 'v2.9', 'v2.7', 'v2.6', 'v2.5', 'v2.4', 'v2.3', 'v2.2', 'v2.1', 'v2.0'];
// The v1 dialect is on by default: its entries follow the v2 ones (spec v1 §3.1).
const V1_IDS = ['v1.1', 'v1.0'];

function expectVersionsDocument(text: string): void {
  const doc = JSON.parse(text) as { versions: Array<{ id: string; status: string; links: unknown[] }> };
  expect(Object.keys(doc)).toEqual(['versions']);
  expect(doc.versions.map((v) => v.id)).toEqual([...DEFAULT_IDS, ...V1_IDS]);
  expect(doc.versions.map((v) => v.status)).toEqual([
    'CURRENT',
    ...DEFAULT_IDS.slice(1).map(() => 'SUPPORTED'),
    ...V1_IDS.map(() => 'DEPRECATED'),
  ]);
  for (const v of doc.versions) {
    expect(Object.keys(v)).toEqual(['id', 'status', 'links']);
    expect(v.links).toEqual([{ rel: 'self', href: `${api.url}/${v.id.startsWith('v1') ? 'v1' : 'v2'}/` }]);
  }
}

describe('versions document', () => {
  it('GET / → 300 with the default version list and no request id', async () => {
    const r = await api.call('GET', '/');
    expect(r.status).toBe(300);
    expect(r.header('content-type')).toBe('application/json');
    expect(r.header('x-openstack-request-id')).toBeUndefined();
    expectVersionsDocument(r.text);
  });

  it('GET /versions → 200, same document, no request id', async () => {
    const r = await api.call('GET', '/versions');
    expect(r.status).toBe(200);
    expect(r.header('content-type')).toBe('application/json');
    expect(r.header('x-openstack-request-id')).toBeUndefined();
    expectVersionsDocument(r.text);
    const sub = await api.call('GET', '/versions/foo');
    expect(sub.status).toBe(200);
    expectVersionsDocument(sub.text);
  });

  it.each([
    ['POST', '/'],
    ['GET', '/V2/images'],
    ['GET', '/v3/images'],
    ['GET', '/images'],
    ['GET', '/foo'],
    ['GET', '/v2.16/images'],
    ['GET', '/v2.8/images'],
    ['GET', '/v2.13/images'],
    ['GET', '/v2.x/images'],
    ['DELETE', '/v2.99/images'],
  ])('%s %s → 300 versions document, no request id', async (method, path) => {
    const r = await api.call(method, path);
    expect(r.status).toBe(300);
    expect(r.header('x-openstack-request-id')).toBeUndefined();
    expectVersionsDocument(r.text);
  });

  it('href follows X-Forwarded-Proto / Host', async () => {
    const r = await api.call('GET', '/', { headers: { Host: 'glance.example.com:9292', 'X-Forwarded-Proto': 'https' } });
    expect(r.status).toBe(300);
    expect(r.json().versions[0].links[0].href).toBe('https://glance.example.com:9292/v2/');
  });
});

describe('negotiation', () => {
  it.each(['/v2.0', '/v2.1', '/v2.6', '/v2.7', '/v2.9', '/v2.15', '/v2'])('%s/images ≡ /v2/images', async (prefix) => {
    const img = await createImage(api, { name: `neg-${prefix}` });
    const a = await api.call('GET', `/v2/images/${img.id}`);
    const b = await api.call('GET', `${prefix}/images/${img.id}`);
    expect(b.status).toBe(200);
    expect(b.json()).toEqual(a.json());
    const list = await api.call('GET', `${prefix}/images?name=${encodeURIComponent(`neg-${prefix}`)}`);
    expect(list.status).toBe(200);
    expect(list.json().images.map((i: { id: string }) => i.id)).toEqual([img.id]);
    expect(list.json().first).toBe(`/v2/images?name=${encodeURIComponent(`neg-${prefix}`)}`);
  });

  it('POST via /v2.15 answers a Location under /v2/', async () => {
    const r = await api.call('POST', '/v2.15/images', { body: {} });
    expect(r.status).toBe(201);
    expect(r.header('location')).toBe(`${api.url}/v2/images/${r.json().id}`);
  });

  it('leading slashes collapse: //v2/images works', async () => {
    const r = await api.call('GET', '//v2/images');
    expect(r.status).toBe(200);
    expect(r.json()).toHaveProperty('images');
  });

  it('Accept: application/vnd.openstack.images-v2 routes /images to /v2/images', async () => {
    const r = await api.call('GET', '/images', { headers: { Accept: 'application/vnd.openstack.images-v2' } });
    expect(r.status).toBe(200);
    expect(r.json()).toHaveProperty('images');
    const wrong = await api.call('GET', '/images', { headers: { Accept: 'application/vnd.openstack.images-v9' } });
    expect(wrong.status).toBe(300);
    const doubled = await api.call('GET', '/v2/images', { headers: { Accept: 'application/vnd.openstack.images-v2' } });
    expect(doubled.status).toBe(404);
  });

  it('/v2 → 302 to /v2/ with a request id; /v2/ → 404', async () => {
    const r = await api.call('GET', '/v2');
    expect(r.status).toBe(302);
    expect(r.header('location')).toBe(`${api.url}/v2/`);
    expect(r.text).toBe('');
    expect(r.header('x-openstack-request-id')).toMatch(/^req-/);
    const slash = await api.call('GET', '/v2/');
    expect(slash.status).toBe(404);
    expect(slash.header('x-openstack-request-id')).toMatch(/^req-/);
    expect((await api.call('GET', '/v2.15')).status).toBe(302);
  });

  it('a trailing slash is not tolerated: /v2/images/ → 404', async () => {
    expect((await api.call('GET', '/v2/images/')).status).toBe(404);
  });

  it('GET /healthcheck → 200 OK', async () => {
    const r = await api.call('GET', '/healthcheck');
    expect(r.status).toBe(200);
    expect(r.text).toBe('OK');
  });
});
