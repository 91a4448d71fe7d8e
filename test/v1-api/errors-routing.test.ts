/** Error bodies (spec v1 §1.6), routing (§1.1, §3.1) and "never a 5xx for bad input". */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAW, as, createV1, meta, postV1, putV1, startApi, type Api } from './v1-helpers.js';

let api: Api;
let id: string;
beforeAll(async () => {
  api = await startApi();
  id = (await createV1(api, meta({ name: 'err', ...RAW }), Buffer.from('data'))).id;
});
afterAll(async () => {
  await api.close();
});

const MISSING = '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e';
// tempest's accepted error content types (§1.6), lower-cased.
const TEMPEST_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'text/plain; charset=utf-8', 'text/html', 'text/html; charset=utf-8'];

describe('error bodies', () => {
  it('plain text by default and for */* or text/html: "<code> <title>" then the message', async () => {
    for (const accept of [undefined, '*/*', 'text/html', 'application/xml']) {
      const r = await api.call('GET', `/v1/images/${MISSING}`, { headers: accept === undefined ? {} : { Accept: accept } });
      expect(r.status).toBe(404);
      expect(r.header('content-type'), accept).toBe('text/plain; charset=UTF-8');
      expect(r.text.startsWith('404 Not Found\n\n')).toBe(true);
      expect(r.header('x-openstack-request-id')).toMatch(/^req-/);
    }
    const bad = await postV1(api, { 'x-image-meta-foo': '1' });
    expect(bad.header('content-type')).toBe('text/plain; charset=UTF-8');
    expect(bad.text).toMatch(/^400 Bad Request\n\n[\s\S]*Bad header: x-image-meta-foo/);
  });

  it('JSON {message, code, title} when Accept is exactly application/json', async () => {
    const r = await api.call('GET', `/v1/images/${MISSING}`, { headers: { Accept: 'application/json' } });
    expect(r.status).toBe(404);
    expect(r.header('content-type')).toMatch(/^application\/json/);
    const body = r.json();
    expect(Object.keys(body).sort()).toEqual(['code', 'message', 'title']);
    expect(body.title).toBe('Not Found');
    expect(String(body.code)).toContain('404');
    const bad = await postV1(api, { Accept: 'application/json', 'x-image-meta-min_ram': 'x' });
    expect(bad.status).toBe(400);
    expect(bad.json().message).toContain("Cannot convert image min_ram 'x' to an integer.");
  });

  it('every error content type is one tempest accepts', async () => {
    const rs = [
      await api.call('GET', `/v1/images/${MISSING}`),
      await putV1(api, id, {}, Buffer.from('again')),
      await api.call('DELETE', '/v1/images/'),
      await api.call('GET', '/v1/images?limit=x'),
      await api.call('GET', `/v1/images/${id}/members/x`),
    ];
    for (const r of rs) {
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(TEMPEST_TYPES, `${r.status} ${r.header('content-type')}`).toContain(r.header('content-type')?.toLowerCase());
    }
  });

  it('HEAD errors have empty bodies', async () => {
    for (const path of [`/v1/images/${MISSING}`, '/v1/images/detail', '/v1/images/-1']) {
      const r = await api.call('HEAD', path, { headers: { Accept: 'application/json' } });
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect(r.body.length, path).toBe(0);
    }
  });
});

describe('routing', () => {
  it('no trailing-slash tolerance; odd suffixes are 404', async () => {
    for (const [method, path] of [
      ['GET', '/v1/images/'], ['DELETE', '/v1/images/'], ['GET', '/v1/images/detail/'], ['GET', `/v1/images/${id}/members/`],
      ['GET', '/v1/images.json'], ['GET', '/v1/images/detail.xxx'], ['GET', '/v1/versions'], ['GET', '/v1/nothing'],
    ] as const) {
      expect((await api.call(method, path)).status, `${method} ${path}`).toBe(404);
    }
  });

  it('/v1.0 and /v1.1 are v1', async () => {
    for (const prefix of ['/v1.0', '/v1.1']) {
      const r = await api.call('HEAD', `${prefix}/images/${id}`);
      expect(r.status, prefix).toBe(200);
      expect(r.header('x-image-meta-id')).toBe(id);
    }
  });

  it('the versions document lists v1.1 and v1.0 as DEPRECATED after the v2 entries', async () => {
    const r = await api.call('GET', '/versions');
    expect(r.status).toBe(200);
    const versions = r.json().versions as Array<{ id: string; status: string; links: Array<{ href: string }> }>;
    const ids = versions.map((v) => v.id);
    expect(ids.slice(-2)).toEqual(['v1.1', 'v1.0']);
    for (const v of versions.slice(-2)) {
      expect(v.status).toBe('DEPRECATED');
      expect(v.links[0]!.href).toBe(`${api.url}/v1/`);
    }
  });

  it('other methods are 405 with the Allow header of §1.1', async () => {
    const cases: Array<[string, string, string]> = [
      ['DELETE', '/v1/images', 'GET, POST'],
      ['PUT', '/v1/images', 'GET, POST'],
      ['POST', '/v1/images/detail', 'GET, HEAD'],
      ['POST', `/v1/images/${id}`, 'GET, HEAD, PUT, DELETE'],
      ['PATCH', `/v1/images/${id}`, 'GET, HEAD, PUT, DELETE'],
      ['POST', `/v1/images/${id}/members`, 'GET, PUT'],
      ['DELETE', `/v1/images/${id}/members`, 'GET, PUT'],
      ['POST', `/v1/images/${id}/members/alt`, 'GET, PUT, DELETE'],
    ];
    for (const [method, path, allow] of cases) {
      const r = await api.call(method, path);
      expect.soft(r.status, `${method} ${path}`).toBe(405);
      expect.soft(r.header('allow'), `${method} ${path}`).toBe(allow);
    }
    // Nothing was changed by those calls.
    expect((await api.call('GET', `/v1/images/${id}`)).text).toBe('data');
  });

  it('an inbound request id is reused (req- prefixed); an over-long one is refused with a 4xx', async () => {
    const r = await api.call('HEAD', `/v1/images/${id}`, { headers: { 'X-Openstack-Request-ID': 'abc123' } });
    expect(r.header('x-openstack-request-id')).toBe('req-abc123');
    const long = await api.call('HEAD', `/v1/images/${id}`, { headers: { 'X-Openstack-Request-ID': 'x'.repeat(65) } });
    expect([400, 431]).toContain(long.status);
  });
});

describe('bad input never yields a 5xx', () => {
  it('odd headers on POST and PUT', async () => {
    const headerSets: Array<Record<string, string>> = [
      { 'x-image-meta-size': '9'.repeat(40) },
      { 'x-image-meta-min_ram': '1e5' },
      { 'x-image-meta-min_disk': '' },
      { 'x-image-meta-virtual_size': 'None' },
      { 'x-image-meta-virtual_size': 'abc' },
      { 'x-image-meta-created_at': '0001-01-01T00:00:00' },
      { 'x-image-meta-deleted_at': '' },
      { 'x-image-meta-id': '' },
      { 'x-image-meta-owner': '' },
      { 'x-image-meta-status': 'active' },
      { 'x-image-meta-store': 'nowhere' },
      { 'x-image-meta-property-': 'empty name' },
      { 'x-image-meta-property-__proto__': 'x' },
      { 'x-image-meta-property-deleted': 'x' },
      { 'x-image-meta-location': 'file:///etc/passwd' },
      { 'x-image-meta-location': 'swift+config://ref/c/o' },
      { 'x-image-meta-location': 'not a url' },
      { 'x-glance-api-copy-from': 'ftp://example.com/x' },
      { 'x-image-meta-name': 'n', 'x-image-meta-checksum': 'zz' },
    ];
    for (const h of headerSets) {
      const post = await postV1(api, { ...meta(RAW), ...h });
      expect(post.status, `POST ${JSON.stringify(h)}: ${post.text}`).toBeLessThan(500);
      const put = await putV1(api, id, { ...h, 'x-glance-registry-purge-props': 'false' });
      expect(put.status, `PUT ${JSON.stringify(h)}: ${put.text}`).toBeLessThan(500);
    }
    // The image is intact afterwards.
    expect((await api.call('GET', `/v1/images/${id}`)).text).toBe('data');
  });

  it('file, swift+config and empty locations are refused with 400', async () => {
    for (const loc of ['file:///etc/passwd', 'swift+config://ref1/container/obj']) {
      const r = await postV1(api, { ...meta(RAW), 'x-image-meta-location': loc });
      expect(r.status, loc).toBe(400);
    }
  });

  it('odd query strings and ids', async () => {
    const paths = [
      '/v1/images?limit=99999999999999999999999', '/v1/images/detail?sort_key=name&sort_key=size', '/v1/images?size_min=1e3',
      '/v1/images/detail?marker=', '/v1/images?name=a%00b', '/v1/images/detail?property-=x', '/v1/images/%ZZ',
      `/v1/images/${'a'.repeat(300)}`, '/v1/images/detail?changes-since=20120101', '/v1/images?min_ram=abc', '/v1/images?protected=none',
      '/v1/shared-images/%00', `/v1/images/${id}/members?x=1`,
    ];
    for (const path of paths) {
      const r = await api.call('GET', path);
      expect(r.status, `${path}: ${r.text}`).toBeLessThan(500);
    }
  });

  it('member calls with odd bodies and ids', async () => {
    const owner = as('erruser');
    const img = await createV1(api, { ...meta({ name: 'm', ...RAW }), ...owner });
    const calls: Array<[string, string, string | undefined]> = [
      ['PUT', `/v1/images/${img.id}/members/alt`, '{"member": {"can_share": "false"}}'],
      ['PUT', `/v1/images/${img.id}/members/alt`, '[]'],
      ['PUT', `/v1/images/${img.id}/members`, '{"memberships": "nope"}'],
      ['PUT', `/v1/images/${img.id}/members`, '{"memberships": [null]}'],
      ['PUT', `/v1/images/${img.id}/members`, 'null'],
      ['PUT', `/v1/images/${img.id}/members/${'m'.repeat(300)}`, undefined],
    ];
    for (const [method, path, body] of calls) {
      const r = await api.call(method, path, { headers: { ...owner, 'Content-Type': 'application/json' }, ...(body !== undefined ? { body } : {}) });
      expect.soft(r.status, `${method} ${path} ${body}: ${r.text}`).toBeLessThan(500);
    }
  });
});
