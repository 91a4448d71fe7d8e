/** PUT/GET /file, PUT /stage, POST /import (spec v2 §6, §7). */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_LIMITS,
  as,
  createImage,
  OCTET,
  plainDetailError,
  plainError,
  startApi,
  uploadImage,
  waitForImage,
  type Api,
} from '../support/api-gateway.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer): string => createHash('sha512').update(b).digest('hex');
const RAW = { disk_format: 'raw', container_format: 'bare' };
const O = as('data-owner');
const put = (id: string, body: Buffer | AsyncIterable<Buffer>, headers: Record<string, string> = { ...O, ...OCTET }) =>
  api.call('PUT', `/v2/images/${id}/file`, { headers, body });
const get = (id: string, headers: Record<string, string> = O) => api.call('GET', `/v2/images/${id}/file`, { headers });

describe('upload', () => {
  it('octet-stream → 204; image active with size and hashes', async () => {
    const data = randomBytes(10_000);
    const img = await createImage(api, RAW, O);
    const r = await put(img.id, data);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    const after = (await api.call('GET', `/v2/images/${img.id}`, { headers: O })).json();
    expect(after).toMatchObject({ status: 'active', size: 10_000, virtual_size: 10_000, checksum: md5(data), os_hash_algo: 'sha512', os_hash_value: sha512(data) });
  });

  it('chunked transfer encoding (no Content-Length) works', async () => {
    const parts = [randomBytes(3000), randomBytes(5000), randomBytes(1)];
    const img = await createImage(api, RAW, O);
    const r = await put(img.id, (async function* () { for (const p of parts) yield p; })());
    expect(r.status, r.text).toBe(204);
    const all = Buffer.concat(parts);
    const dl = await get(img.id);
    expect(dl.body.equals(all)).toBe(true);
    expect(dl.header('content-md5')).toBe(md5(all));
  });

  it.each<[string, Record<string, string>]>([
    ['application/json', { 'Content-Type': 'application/json' }],
    ['text/plain', { 'Content-Type': 'text/plain' }],
  ])('Content-Type %s → 415', async (ct, headers) => {
    const img = await createImage(api, RAW, O);
    const r = await put(img.id, Buffer.from('x'), { ...O, ...headers });
    expect(r.status).toBe(415);
    expect(r.text).toBe(`415 Unsupported Media Type\n\nThe request media type ${ct} is not supported by this server. \n\n `);
    expect((await api.call('GET', `/v2/images/${img.id}`, { headers: O })).json().status).toBe('queued');
  });

  it('no Content-Type → 415 with the literal ${CONTENT_TYPE} placeholder (quirk §15 #9 copied)', async () => {
    const img = await createImage(api, RAW, O);
    const r = await put(img.id, Buffer.from('x'), O);
    expect(r.status).toBe(415);
    expect(r.text).toBe('415 Unsupported Media Type\n\nThe request media type ${CONTENT_TYPE} is not supported by this server. \n\n ');
  });

  it('octet-stream with parameters is accepted', async () => {
    const img = await createImage(api, RAW, O);
    expect((await put(img.id, Buffer.from('x'), { ...O, 'Content-Type': 'application/octet-stream; charset=binary' })).status).toBe(204);
  });

  it('non-queued → 409; formats unset → 400; not owner → 403; invisible → 404', async () => {
    const img = await createImage(api, RAW, O);
    await uploadImage(api, img.id, 'first', O);
    const again = await put(img.id, Buffer.from('second'));
    expect(again.status).toBe(409);
    expect(again.text).toBe(plainError('409 Conflict', 'Image status transition from active to saving is not allowed'));
    const bare = await createImage(api, {}, O);
    const nofmt = await put(bare.id, Buffer.from('x'));
    expect(nofmt.status).toBe(400);
    expect(nofmt.text).toBe(plainError('400 Bad Request', 'Properties disk_format, container_format must be set prior to saving data.'));
    const pub = await createImage(api, { ...RAW, visibility: 'community' }, O);
    const other = await put(pub.id, Buffer.from('x'), { ...as('intruder'), ...OCTET });
    expect(other.status).toBe(403);
    expect(other.text).toBe(plainError('403 Forbidden', `Not allowed to upload image data for image ${pub.id}`));
    const priv = await createImage(api, { ...RAW, visibility: 'private' }, O);
    expect((await put(priv.id, Buffer.from('x'), { ...as('intruder'), ...OCTET })).status).toBe(404);
  });

  it(`oversize upload (> ${API_LIMITS.imageSizeCap} bytes) → 413 and back to queued; declared or chunked`, async () => {
    const big = Buffer.alloc(API_LIMITS.imageSizeCap + 1, 1);
    const img = await createImage(api, RAW, O);
    const r = await put(img.id, big);
    expect(r.status).toBe(413);
    expect(r.text).toBe(plainError('413 Request Entity Too Large', 'The incoming image is too large: The provided image is too large.'));
    expect((await api.call('GET', `/v2/images/${img.id}`, { headers: O })).json()).toMatchObject({ status: 'queued', size: null });
    const chunked = await put(img.id, (async function* () { for (let i = 0; i < 5; i++) yield big.subarray(0, 20_000); })());
    expect(chunked.status).toBe(413);
    expect((await api.call('GET', `/v2/images/${img.id}`, { headers: O })).json().status).toBe('queued');
    await uploadImage(api, img.id, Buffer.alloc(100), O);
  });
});

describe('download', () => {
  let id = '';
  beforeAll(async () => {
    id = (await createImage(api, { ...RAW, visibility: 'community' }, O)).id;
    await uploadImage(api, id, 'hello', O);
  });

  it('200 with Content-Type, Content-Length, Content-MD5', async () => {
    const r = await get(id);
    expect(r.status).toBe(200);
    expect(r.text).toBe('hello');
    expect(r.header('content-type')).toBe('application/octet-stream');
    expect(r.header('content-length')).toBe('5');
    expect(r.header('content-md5')).toBe(md5(Buffer.from('hello')));
    expect(r.header('content-range')).toBeUndefined();
    expect(r.header('x-openstack-request-id')).toMatch(/^req-/);
  });

  it.each<[string, string, string]>([
    ['bytes=0-4', 'bytes 0-4/5', 'hello'],
    ['bytes=4-', 'bytes 4-4/5', 'o'],
    ['bytes=-3', 'bytes 2-4/5', 'llo'],
    ['bytes=-100', 'bytes 0-4/5', 'hello'],
    ['bytes=0-15', 'bytes 0-4/5', 'hello'],
    ['bytes=1-2', 'bytes 1-2/5', 'el'],
  ])('Range %s → 206 %s', async (range, contentRange, body) => {
    const r = await api.call('GET', `/v2/images/${id}/file`, { headers: { ...O, Range: range } });
    expect(r.status).toBe(206);
    expect(r.header('content-range')).toBe(contentRange);
    expect(r.text).toBe(body);
    expect(r.header('content-length')).toBe(String(body.length));
    expect(r.header('content-md5')).toBe(md5(Buffer.from('hello')));
  });

  it('legacy request Content-Range bytes 0-4/* → 206', async () => {
    const r = await api.call('GET', `/v2/images/${id}/file`, { headers: { ...O, 'Content-Range': 'bytes 0-4/*' } });
    expect(r.status).toBe(206);
    expect(r.header('content-range')).toBe('bytes 0-4/5');
  });

  it('multiple ranges → 400', async () => {
    const r = await api.call('GET', `/v2/images/${id}/file`, { headers: { ...O, Range: 'bytes=0-1,3-4' } });
    expect(r.status).toBe(400);
    expect(r.text).toBe(
      plainError('400 Bad Request', 'Requests with multiple ranges are not supported in Glance. You may make multiple single-range requests instead.'),
    );
  });

  it.each(['bytes=abc', 'items=0-3', 'bytes=5-2'])('unparsable Range %s → 416', async (range) => {
    const r = await api.call('GET', `/v2/images/${id}/file`, { headers: { ...O, Range: range } });
    expect(r.status).toBe(416);
    expect(r.text).toBe(plainDetailError('416 Request Range Not Satisfiable', 'The Range requested is not available.', 'Invalid Range header.'));
  });

  it('start ≥ size → 416 with the start-position message', async () => {
    const r = await api.call('GET', `/v2/images/${id}/file`, { headers: { ...O, Range: 'bytes=16-' } });
    expect(r.status).toBe(416);
    expect(r.text).toBe(
      plainDetailError(
        '416 Request Range Not Satisfiable',
        'The Range requested is not available.',
        'Invalid start position in Range header. Start position MUST be in the inclusive range [0, 4].',
      ),
    );
  });

  it('queued image → 204 empty, also with a Range (quirk §15 #7 fixed)', async () => {
    const img = await createImage(api, RAW, O);
    const r = await get(img.id);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    const ranged = await api.call('GET', `/v2/images/${img.id}/file`, { headers: { ...O, Range: 'bytes=0-4' } });
    expect(ranged.status).toBe(204);
  });

  it('anyone may download a community image; invisible → 404', async () => {
    expect((await get(id, as('stranger'))).text).toBe('hello');
    const priv = await createImage(api, { ...RAW, visibility: 'private' }, O);
    await uploadImage(api, priv.id, 'secret', O);
    const r = await get(priv.id, as('stranger'));
    expect(r.status).toBe(404);
    expect(r.text).toBe(plainError('404 Not Found', `No image found with ID ${priv.id}`));
  });

  it('deactivated: 403 for non-admins (owner included), 200 for admins', async () => {
    const img = await createImage(api, RAW, O);
    await uploadImage(api, img.id, 'deact', O);
    expect((await api.call('POST', `/v2/images/${img.id}/actions/deactivate`, { headers: O })).status).toBe(204);
    const r = await get(img.id);
    expect(r.status).toBe(403);
    expect(r.text).toBe(plainError('403 Forbidden', 'The requested image has been deactivated. Image data download is forbidden.'));
    const admin = await get(img.id, {});
    expect(admin.status).toBe(200);
    expect(admin.text).toBe('deact');
    expect((await put(img.id, Buffer.from('x'))).status).toBe(409);
  });
});

describe('stage + import', () => {
  it('stage 204 → uploading; import 202 → active with the staged bytes', async () => {
    const data = randomBytes(20_000);
    const img = await createImage(api, RAW, O);
    const s = await api.call('PUT', `/v2/images/${img.id}/stage`, { headers: { ...O, ...OCTET }, body: data });
    expect(s.status, s.text).toBe(204);
    expect((await api.call('GET', `/v2/images/${img.id}`, { headers: O })).json()).toMatchObject({ status: 'uploading', size: 20_000, checksum: null });
    expect((await get(img.id)).status).toBe(204);
    const up = await put(img.id, Buffer.from('x'));
    expect(up.status).toBe(409);
    expect(up.text).toBe(plainError('409 Conflict', 'Image status transition from uploading to saving is not allowed'));
    const again = await api.call('PUT', `/v2/images/${img.id}/stage`, { headers: { ...O, ...OCTET }, body: data });
    expect(again.status).toBe(409);
    const imp = await api.call('POST', `/v2/images/${img.id}/import`, { headers: O, body: { method: { name: 'glance-direct' } } });
    expect(imp.status, imp.text).toBe(202);
    expect(imp.text).toBe('');
    const done = await waitForImage(api, img.id, (i) => i.status === 'active' || i.status === 'queued');
    expect(done).toMatchObject({ status: 'active', size: 20_000, checksum: md5(data), os_hash_value: sha512(data) });
    expect(done).toMatchObject({ os_glance_importing_to_stores: '', os_glance_failed_import: '' });
    expect((await get(img.id)).body.equals(data)).toBe(true);
    const tasks = await api.call('GET', `/v2/images/${img.id}/tasks`, { headers: O });
    expect(tasks.status).toBe(200);
    expect(tasks.json().tasks.map((t: { type: string; status: string }) => [t.type, t.status])).toEqual([['api_image_import', 'success']]);
  });

  it('stage: 415 without octet-stream; 413 over the cap; import errors', async () => {
    const img = await createImage(api, RAW, O);
    expect((await api.call('PUT', `/v2/images/${img.id}/stage`, { headers: { ...O, 'Content-Type': 'application/json' }, body: 'x' })).status).toBe(415);
    const big = await api.call('PUT', `/v2/images/${img.id}/stage`, { headers: { ...O, ...OCTET }, body: Buffer.alloc(API_LIMITS.imageSizeCap + 1) });
    expect(big.status).toBe(413);
    expect((await api.call('GET', `/v2/images/${img.id}`, { headers: O })).json().status).toBe('queued');
    const notStaged = await api.call('POST', `/v2/images/${img.id}/import`, { headers: O, body: { method: { name: 'glance-direct' } } });
    expect(notStaged.status).toBe(409);
    expect(notStaged.text).toBe(plainError('409 Conflict', "Image needs to be staged before 'glance-direct' method can be used"));
    const unknown = await api.call('POST', `/v2/images/${img.id}/import`, { headers: O, body: { method: { name: 'copy-image' } } });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toBe(plainError('400 Bad Request', "Unknown import method name 'copy-image'."));
  });
});
