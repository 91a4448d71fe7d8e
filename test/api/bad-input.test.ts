/**
 * Hostile or broken input: every one answers a specific 4xx, never a 5xx (spec v2 §1.5, §5.1,
 * §5.4.2, §7.2, §15 quirks fixed with a 4xx).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_LIMITS, as, createImage, OCTET, plainError, startApi, V21, type Api } from '../support/api-gateway.js';

const MAX_URL = 1024;
let api: Api;
beforeAll(async () => {
  api = await startApi({}, { maxUrlLength: MAX_URL });
});
afterAll(async () => {
  await api?.close();
});

const O = as('hostile');
const post = (body: string | Buffer | AsyncIterable<Buffer>, headers: Record<string, string> = O) =>
  api.call('POST', '/v2/images', { headers, body });

describe('JSON bodies', () => {
  it.each<[string, string, string]>([
    ['malformed JSON', '{"name": ', 'Malformed JSON in request body.'],
    ['trailing garbage', '{"name": "x"} x', 'Malformed JSON in request body.'],
    ['a UTF-8 BOM', '\uFEFF{"name": "x"}', 'Malformed JSON in request body.'],
    ['a string', '"x"', 'Unexpected body type. Expected list/dict.'],
    ['a number', '5', 'Unexpected body type. Expected list/dict.'],
    ['null', 'null', 'Unexpected body type. Expected list/dict.'],
    ['an array', '[{"name": "x"}]', 'Unexpected body type. Expected list/dict.'],
  ])('%s → 400', async (_what, body, message) => {
    const r = await post(body);
    expect(r.status).toBe(400);
    expect(r.text).toBe(plainError('400 Bad Request', message));
  });

  it('no body → 400 Body expected', async () => {
    const r = await api.call('POST', '/v2/images', { headers: O });
    expect(r.status).toBe(400);
    expect(r.text).toBe(plainError('400 Bad Request', 'Body expected in request.'));
  });

  it('undecodable bytes → 400 Error decoding', async () => {
    const r = await post(Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    expect(r.status).toBe(400);
    expect(r.text).toBe(
      plainError(
        '400 Bad Request',
        'Error decoding your request. Either the URL or the request body contained characters that could not be decoded by Glance',
      ),
    );
  });

  it.each<[string, object]>([
    ['name: 5', { name: 5 }],
    ['min_ram: "x"', { min_ram: 'x' }],
    ['min_disk: 1.5', { min_disk: 1.5 }],
    ['protected: "yes"', { protected: 'yes' }],
    ['os_hidden: 1', { os_hidden: 1 }],
    ['tags: "a"', { tags: 'a' }],
    ['tags: [1]', { tags: [1] }],
    ['visibility: "bogus"', { visibility: 'bogus' }],
    ['container_format: 5', { container_format: 5 }],
    ['disk_format: "bogus"', { disk_format: 'bogus' }],
    ['extra property: 5', { foo: 5 }],
    ['extra property: null', { foo: null }],
    ['extra property: object', { foo: { a: 1 } }],
    ['kernel_id not a UUID', { kernel_id: 'nope' }],
    ['id not a UUID', { id: 'not-a-uuid' }],
    ['name of 256 characters', { name: 'n'.repeat(256) }],
    ['owner of 256 characters', { owner: 'o'.repeat(256) }],
  ])('%s → 400 schema error', async (_what, body) => {
    const r = await post(JSON.stringify(body), {});
    expect(r.status).toBe(400);
    expect(r.text.startsWith("400 Bad Request\n\nProvided object does not match schema 'image': ")).toBe(true);
  });

  it('a name of exactly 255 characters is fine', async () => {
    expect((await post(JSON.stringify({ name: 'n'.repeat(255) }))).status).toBe(201);
  });

  it.each<[string, object, string]>([
    ['in the name', { name: 'a\u{1F600}' }, "Name can't contain 4 byte unicode characters."],
    ['in a property value', { k: 'a\u{1F600}' }, "K can't contain 4 byte unicode characters."],
    ['in a property name', { ['k\u{1F600}']: 'v' }, "Property names can't contain 4 byte unicode."],
  ])('4-byte unicode %s → 400', async (_what, body, message) => {
    const r = await post(JSON.stringify(body));
    expect(r.status).toBe(400);
    expect(r.text).toBe(plainError('400 Bad Request', message));
  });

  it(`nesting beyond maxJsonDepth (${API_LIMITS.maxJsonDepth}) → 400 before parsing; at the limit it parses`, async () => {
    const nest = (n: number) => `{"foo": ${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    const deep = await post(nest(API_LIMITS.maxJsonDepth + 1));
    expect(deep.status).toBe(400);
    expect(deep.text).not.toContain('Provided object does not match schema');
    const hostile = await post('['.repeat(60_000));
    expect(hostile.status).toBe(400);
    const atLimit = await post(nest(API_LIMITS.maxJsonDepth));
    expect(atLimit.status).toBe(400);
    expect(atLimit.text).toContain("Provided object does not match schema 'image'");
  });

  it(`a JSON body over maxJsonBodyBytes (${API_LIMITS.maxJsonBodyBytes}) → 413, declared or chunked`, async () => {
    const huge = JSON.stringify({ name: 'x', pad: 'p'.repeat(API_LIMITS.maxJsonBodyBytes) });
    const r = await post(huge);
    expect(r.status).toBe(413);
    const chunked = await post((async function* () { for (let i = 0; i < 8; i++) yield Buffer.from(huge.slice(i * 10_000, (i + 1) * 10_000)); })());
    expect(chunked.status).toBe(413);
    const patch = await api.call('PATCH', '/v2/images/00000000-0000-0000-0000-000000000000', {
      headers: { ...O, 'Content-Type': V21 },
      body: `[${' '.repeat(API_LIMITS.maxJsonBodyBytes)}]`,
    });
    expect(patch.status).toBe(413);
    expect((await api.call('GET', '/v2/images', { headers: O })).status).toBe(200);
  });

  it('unknown PATCH op and non-string pointer → 400', async () => {
    const img = await createImage(api, {}, O);
    for (const body of ['[{"op": "frobnicate", "path": "/name", "value": "x"}]', '[{"op": "add", "path": 5, "value": "x"}]', '[{"op": 5, "path": "/name"}]']) {
      const r = await api.call('PATCH', `/v2/images/${img.id}`, { headers: { ...O, 'Content-Type': V21 }, body });
      expect(r.status, body).toBe(400);
    }
  });
});

describe('ids, URLs, headers, queries', () => {
  it.each(['not-a-uuid', 'x'.repeat(300), '%00', 'a%2Fb', '..', '%E2%82%AC'])('image id %s → 404 on GET/PATCH/DELETE/file', async (id) => {
    expect((await api.call('GET', `/v2/images/${id}`, { headers: O })).status).toBe(404);
    expect((await api.call('DELETE', `/v2/images/${id}`, { headers: O })).status).toBe(404);
    expect((await api.call('PATCH', `/v2/images/${id}`, { headers: { ...O, 'Content-Type': V21 }, body: '[]' })).status).toBe(404);
    expect((await api.call('GET', `/v2/images/${id}/file`, { headers: O })).status).toBe(404);
    expect((await api.call('PUT', `/v2/images/${id}/file`, { headers: { ...O, ...OCTET }, body: Buffer.from('x') })).status).toBe(404);
    expect((await api.call('GET', `/v2/images/${id}/members`, { headers: O })).status).toBe(404);
  });

  it.each(['name=%FF', 'os_distro=%C3%28', '%FF=x'])('undecodable query bytes ?%s → 400 Error decoding', async (query) => {
    const r = await api.call('GET', `/v2/images?${query}`, { headers: O });
    expect(r.status).toBe(400);
    expect(r.text).toBe(
      plainError(
        '400 Bad Request',
        'Error decoding your request. Either the URL or the request body contained characters that could not be decoded by Glance',
      ),
    );
  });

  it(`a URL over maxUrlLength (${MAX_URL}) → 414`, async () => {
    const r = await api.call('GET', `/v2/images?name=${'n'.repeat(MAX_URL)}`, { headers: O });
    expect(r.status).toBe(414);
  });

  it('too many headers → 400', async () => {
    const headers: Record<string, string> = { ...O };
    for (let i = 0; i < 250; i++) headers[`x-filler-${i}`] = 'v';
    const r = await api.call('GET', '/v2/images', { headers });
    expect(r.status).toBe(400);
  });

  it.each<[string, number]>([
    ['limit=99999999999999999999', 200],
    ['limit=1&limit=2', 400],
    ['marker=not-a-uuid', 400],
    ['size_min=1e3', 400],
    ['size_max=', 400],
    ['created_at=eq:', 400],
    ['created_at=', 400],
    ['sort=', 400],
    ['sort_key=', 400],
    ['visibility=', 200],
    ['tag=', 200],
    ['name=%00', 200],
    ['x_min=1', 400],
    ['deleted_at=x', 200],
    ['os_hash_algo=sha512', 400],
  ])('?%s → %i', async (query, status) => {
    const r = await api.call('GET', `/v2/images?${query}`, { headers: O });
    expect(r.status, r.text).toBe(status);
  });
});

describe('import / member bodies', () => {
  it.each<[string, string, string]>([
    ['no method', '{}', "Import request requires a 'method' field."],
    ['method without name', '{"method": {}}', "Import request requires a 'name' field."],
    ['method.name not a string', '{"method": {"name": 5}}', "Import request requires a 'name' field."],
    ['unknown method', '{"method": {"name": "bogus"}}', "Unknown import method name 'bogus'."],
    ['all_stores not boolean', '{"method": {"name": "glance-direct"}, "all_stores": "yes"}', "'all_stores' must be boolean value only"],
    ['all_stores_must_succeed not boolean', '{"method": {"name": "glance-direct"}, "all_stores_must_succeed": 1}', "'all_stores_must_succeed' must be boolean value only"],
  ])('import with %s → 400', async (_what, body, message) => {
    const img = await createImage(api, { disk_format: 'raw', container_format: 'bare' }, O);
    const r = await api.call('POST', `/v2/images/${img.id}/import`, { headers: O, body });
    expect(r.status).toBe(400);
    expect(r.text).toBe(plainError('400 Bad Request', message));
  });

  it('all_stores_must_succeed: false on a single store → 400 and the image stays staged', async () => {
    const img = await createImage(api, { disk_format: 'raw', container_format: 'bare' }, O);
    const s = await api.call('PUT', `/v2/images/${img.id}/stage`, { headers: { ...O, ...OCTET }, body: Buffer.from('abc') });
    expect(s.status).toBe(204);
    const r = await api.call('POST', `/v2/images/${img.id}/import`, {
      headers: O,
      body: { method: { name: 'glance-direct' }, all_stores_must_succeed: false },
    });
    expect(r.status).toBe(400);
    expect(r.text).toBe(plainError('400 Bad Request', 'All_stores_must_succeed can only be set with enabled_backends None'));
    expect((await api.call('GET', `/v2/images/${img.id}`, { headers: O })).json().status).toBe('uploading');
  });

  it.each(['{"member": 5}', '{"member": null}', '{"member": ["a"]}', '"x"', 'nope'])('member body %s → 400', async (body) => {
    const img = await createImage(api, {}, O);
    const r = await api.call('POST', `/v2/images/${img.id}/members`, { headers: O, body });
    expect(r.status).toBe(400);
  });

  it('oversize upload → 413', async () => {
    const img = await createImage(api, { disk_format: 'raw', container_format: 'bare' }, O);
    const r = await api.call('PUT', `/v2/images/${img.id}/file`, {
      headers: { ...O, ...OCTET },
      body: Buffer.alloc(API_LIMITS.imageSizeCap + 1),
    });
    expect(r.status).toBe(413);
  });
});
