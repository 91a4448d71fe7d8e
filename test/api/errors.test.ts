/** Error bodies, routing errors and request ids (spec v2 §1.1, §1.3, §1.6, §1.7). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImage, REQ_ID_RE, startApi, type Api } from '../support/api-gateway.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

const ZERO = '00000000-0000-0000-0000-000000000000';
const PLAIN = 'text/plain; charset=UTF-8';
const HTML = 'text/html; charset=UTF-8';

describe('error body formats (spec v2 §1.6, exact bytes)', () => {
  const notFound = `No image found with ID ${ZERO}`;
  it.each<[string, Record<string, string>, string, string]>([
    ['no Accept', {}, PLAIN, `404 Not Found\n\n${notFound}\n\n   `],
    ['Accept: text/plain', { Accept: 'text/plain' }, PLAIN, `404 Not Found\n\n${notFound}\n\n   `],
    [
      'Accept: application/json',
      { Accept: 'application/json' },
      'application/json',
      `{"message": "${notFound}<br /><br />\\n\\n\\n", "code": "404 Not Found", "title": "Not Found"}`,
    ],
    [
      'Accept: */*',
      { Accept: '*/*' },
      HTML,
      `<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  ${notFound}<br /><br />\n\n\n\n </body>\n</html>`,
    ],
    [
      'Accept: application/json, */*',
      { Accept: 'application/json, */*' },
      HTML,
      `<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  ${notFound}<br /><br />\n\n\n\n </body>\n</html>`,
    ],
  ])('404 with %s', async (_what, headers, contentType, body) => {
    const r = await api.call('GET', `/v2/images/${ZERO}`, { headers });
    expect(r.status).toBe(404);
    expect(r.header('content-type')).toBe(contentType);
    expect(r.text).toBe(body);
    expect(Number(r.header('content-length'))).toBe(r.body.length);
    expect(r.header('x-openstack-request-id')).toMatch(REQ_ID_RE);
  });

  it.each<[string, string | undefined, string, string]>([
    ['plain', undefined, PLAIN, `403 Forbidden\n\nAccess was denied to this resource.\n\n Attribute 'location' is reserved.  `],
    [
      'json',
      'application/json',
      'application/json',
      `{"message": "Access was denied to this resource.<br /><br />\\nAttribute 'location' is reserved.\\n\\n", "code": "403 Forbidden", "title": "Forbidden"}`,
    ],
    [
      'html',
      'text/html',
      HTML,
      `<html>\n <head>\n  <title>403 Forbidden</title>\n </head>\n <body>\n  <h1>403 Forbidden</h1>\n  Access was denied to this resource.<br /><br />\nAttribute &#x27;location&#x27; is reserved.\n\n\n </body>\n</html>`,
    ],
  ])('detail form (POST {"location": "x"}), %s', async (_what, accept, contentType, body) => {
    const r = await api.call('POST', '/v2/images', { headers: accept ? { Accept: accept } : {}, body: { location: 'x' } });
    expect(r.status).toBe(403);
    expect(r.header('content-type')).toBe(contentType);
    expect(r.text).toBe(body);
  });

  it('unknown path under /v2 → 404 with the default explanation', async () => {
    const r = await api.call('GET', '/v2/nothing-here');
    expect(r.status).toBe(404);
    expect(r.text).toBe('404 Not Found\n\nThe resource could not be found.\n\n   ');
  });

  it('HEAD gets the status and headers but an empty body', async () => {
    const r = await api.call('HEAD', `/v2/images/${ZERO}`);
    expect(r.status).toBe(405);
    expect(r.text).toBe('');
    expect(r.header('allow')).toBe('GET, PATCH, DELETE');
  });
});

describe('405 / 501 routing (spec v2 §1.7)', () => {
  let id = '';
  beforeAll(async () => {
    id = (await createImage(api, { name: 'routes' })).id;
  });

  it('PUT /v2/images → 405 with Allow and the WebOb body', async () => {
    const r = await api.call('PUT', '/v2/images', { body: {} });
    expect(r.status).toBe(405);
    expect(r.header('allow')).toBe('GET, POST');
    expect(r.text).toBe('405 Method Not Allowed\n\nThe method PUT is not allowed for this resource. \n\n ');
  });

  it('HEAD /v2/images → 405 with Allow, empty body', async () => {
    const r = await api.call('HEAD', '/v2/images');
    expect(r.status).toBe(405);
    expect(r.header('allow')).toBe('GET, POST');
    expect(r.body.length).toBe(0);
  });

  it.each<[string, string, string]>([
    ['DELETE', '/v2/images', 'GET, POST'],
    ['POST', '/v2/images/{id}', 'GET, PATCH, DELETE'],
    ['PUT', '/v2/images/{id}', 'GET, PATCH, DELETE'],
    ['POST', '/v2/images/{id}/file', 'GET, PUT'],
    ['DELETE', '/v2/images/{id}/file', 'GET, PUT'],
    ['GET', '/v2/images/{id}/stage', 'PUT'],
    ['GET', '/v2/images/{id}/import', 'POST'],
    ['GET', '/v2/images/{id}/actions/deactivate', 'POST'],
    ['GET', '/v2/images/{id}/actions/reactivate', 'POST'],
    ['GET', '/v2/images/{id}/tags/t', 'PUT, DELETE'],
    ['POST', '/v2/images/{id}/tags/t', 'PUT, DELETE'],
    ['PUT', '/v2/images/{id}/members', 'GET, POST'],
    ['POST', '/v2/images/{id}/members/m', 'GET, PUT, DELETE'],
    ['POST', '/v2/schemas/image', 'GET'],
    ['DELETE', '/v2/schemas/metadefs/namespace', 'GET'],
    ['POST', '/v2/info/import', 'GET'],
    ['POST', '/v2/info/stores', 'GET'],
  ])('%s %s → 405 Allow: %s', async (method, path, allow) => {
    const r = await api.call(method, path.replace('{id}', id), method === 'GET' || method === 'DELETE' ? {} : { body: {} });
    expect(r.status, r.text).toBe(405);
    expect(r.header('allow')).toBe(allow);
    expect(r.header('x-openstack-request-id')).toMatch(REQ_ID_RE);
  });

  it.each([
    ['POST', '/v2/images/{id}/tasks'],
    ['POST', '/v2/info/usage'],
    ['GET', '/v2/images/{id}/actions/foo'],
    ['POST', '/v2/images/{id}/actions/foo'],
  ])('%s %s → 404 (no 405 route)', async (method, path) => {
    const r = await api.call(method, path.replace('{id}', id), method === 'POST' ? { body: {} } : {});
    expect(r.status).toBe(404);
  });

  it('an unknown method on an unknown path → 501', async () => {
    const r = await api.call('PROPFIND', '/v2/nothing');
    expect(r.status).toBe(501);
    expect(r.text).toBe('501 Not Implemented\n\n The request method PROPFIND is not implemented for this server. \n\n ');
  });

  it('a body on GET / DELETE of a body_reject route → 400, and DELETE does not happen', async () => {
    const g = await api.call('GET', `/v2/images/${id}`, { body: 'x' });
    expect(g.status).toBe(400);
    expect(g.text).toBe('400 Bad Request\n\nA body is not expected with this request.\n\n   ');
    const d = await api.call('DELETE', `/v2/images/${id}`, { body: '{}' });
    expect(d.status).toBe(400);
    expect((await api.call('GET', `/v2/images/${id}`)).status).toBe(200);
    const t = await api.call('PUT', `/v2/images/${id}/tags/x`, { body: 'x' });
    expect(t.status).toBe(400);
    const deact = await api.call('POST', `/v2/images/${id}/actions/deactivate`, { body: '{}' });
    expect(deact.status).toBe(400);
    const zero = await api.call('GET', `/v2/images/${id}`, { headers: { 'Content-Length': '0' } });
    expect(zero.status).toBe(200);
  });
});

describe('request id (spec v2 §1.3)', () => {
  it('a fresh req-<uuid4> on every response below auth, including errors', async () => {
    const a = await api.call('GET', '/v2/images');
    const b = await api.call('GET', `/v2/images/${ZERO}`);
    expect(a.header('x-openstack-request-id')).toMatch(REQ_ID_RE);
    expect(b.header('x-openstack-request-id')).toMatch(REQ_ID_RE);
    expect(a.header('x-openstack-request-id')).not.toBe(b.header('x-openstack-request-id'));
  });

  it.each([
    ['abc', 'req-abc'],
    ['req-abc', 'req-abc'],
    ['x'.repeat(64), `req-${'x'.repeat(64)}`],
    [`req-${'y'.repeat(60)}`, `req-${'y'.repeat(60)}`],
  ])('inbound %s → %s', async (inbound, expected) => {
    const r = await api.call('GET', '/v2/images', { headers: { 'X-Openstack-Request-ID': inbound } });
    expect(r.status).toBe(200);
    expect(r.header('x-openstack-request-id')).toBe(expected);
    const e = await api.call('GET', `/v2/images/${ZERO}`, { headers: { 'X-Openstack-Request-ID': inbound } });
    expect(e.header('x-openstack-request-id')).toBe(expected);
  });

  it('an inbound id over 64 characters → 400 (not 500), never echoed', async () => {
    const long = 'z'.repeat(65);
    const r = await api.call('GET', '/v2/images', { headers: { 'X-Openstack-Request-ID': long } });
    expect(r.status).toBe(400);
    expect(r.header('x-openstack-request-id')).toMatch(REQ_ID_RE);
    expect(r.text).not.toContain(long);
    const huge = await api.call('POST', '/v2/images', { headers: { 'X-Openstack-Request-ID': 'q'.repeat(5000) }, body: {} });
    expect(huge.status).toBe(400);
  });
});
