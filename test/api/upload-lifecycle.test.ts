/**
 * Uploads over a real socket that go wrong or overlap: client disconnects, concurrent uploads,
 * deletes during an upload, zero-byte and 100-continue uploads, aborted downloads (spec v2 §4, §6).
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createImage, OCTET, plainDetailError, sleep, startApi, uploadImage, waitForImage, type Api } from '../support/api-gateway.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

const O = as('lifecycle');
const RAW = { disk_format: 'raw', container_format: 'bare' };
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

interface RawUpload {
  req: http.ClientRequest;
  response: Promise<{ status: number; text: string }>;
}

/** A PUT whose body the test writes by hand (chunked unless a Content-Length header is given). */
function rawPut(path: string, headers: Record<string, string>): RawUpload {
  const req = http.request({ host: '127.0.0.1', port: api.port, method: 'PUT', path, headers: { ...O, ...OCTET, ...headers } });
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return { req, response };
}

const show = async (id: string) => (await api.call('GET', `/v2/images/${id}`, { headers: O })).json();

describe('upload lifecycle over HTTP', () => {
  it('a client that disconnects mid-upload leaves the image queued; a new upload works', async () => {
    const img = await createImage(api, RAW, O);
    const up = rawPut(`/v2/images/${img.id}/file`, {});
    up.response.catch(() => undefined);
    up.req.write(randomBytes(10_000));
    await waitForImage(api, img.id, (i) => i.status === 'saving', 5000);
    expect((await show(img.id)).status).toBe('saving');
    up.req.destroy();
    const after = await waitForImage(api, img.id, (i) => i.status !== 'saving', 5000);
    expect(after).toMatchObject({ status: 'queued', size: null, checksum: null });
    const data = randomBytes(5000);
    await uploadImage(api, img.id, data, O);
    expect((await show(img.id)).checksum).toBe(md5(data));
  });

  it('a second upload while one is running → 409; GET /file → 204 meanwhile; the first completes', async () => {
    const img = await createImage(api, RAW, O);
    const up = rawPut(`/v2/images/${img.id}/file`, {});
    const first = Buffer.from('first part;');
    up.req.write(first);
    await waitForImage(api, img.id, (i) => i.status === 'saving', 5000);
    const second = await api.call('PUT', `/v2/images/${img.id}/file`, { headers: { ...O, ...OCTET }, body: Buffer.from('x') });
    expect(second.status).toBe(409);
    expect(second.text).toContain('Image status transition from saving to saving is not allowed');
    expect((await api.call('GET', `/v2/images/${img.id}/file`, { headers: O })).status).toBe(204);
    const rest = Buffer.from('second part');
    up.req.end(rest);
    expect((await up.response).status).toBe(204);
    expect(await show(img.id)).toMatchObject({ status: 'active', checksum: md5(Buffer.concat([first, rest])) });
  });

  it('deleting the image during an upload: the upload fails with 410, the image is gone', async () => {
    const img = await createImage(api, RAW, O);
    const up = rawPut(`/v2/images/${img.id}/file`, {});
    up.req.write(randomBytes(1000));
    await waitForImage(api, img.id, (i) => i.status === 'saving', 5000);
    expect((await api.call('DELETE', `/v2/images/${img.id}`, { headers: O })).status).toBe(204);
    up.req.end(randomBytes(1000));
    const res = await up.response;
    expect(res.status).toBe(410);
    expect(res.text).toContain(`Image ${img.id} could not be found after upload.`);
    expect((await api.call('GET', `/v2/images/${img.id}`, { headers: O })).status).toBe(404);
  });

  it('Expect: 100-continue is honoured', async () => {
    const img = await createImage(api, RAW, O);
    const data = randomBytes(2048);
    const up = rawPut(`/v2/images/${img.id}/file`, { Expect: '100-continue', 'Content-Length': String(data.length) });
    up.req.on('continue', () => up.req.end(data));
    up.req.flushHeaders();
    expect((await up.response).status).toBe(204);
    expect((await show(img.id)).checksum).toBe(md5(data));
  });

  it('a zero-byte upload (Content-Length: 0) → active, empty download, any Range → 416', async () => {
    const img = await createImage(api, RAW, O);
    const r = await api.call('PUT', `/v2/images/${img.id}/file`, { headers: { ...O, ...OCTET, 'Content-Length': '0' } });
    expect(r.status).toBe(204);
    expect(await show(img.id)).toMatchObject({ status: 'active', size: 0, virtual_size: null, checksum: 'd41d8cd98f00b204e9800998ecf8427e' });
    const dl = await api.call('GET', `/v2/images/${img.id}/file`, { headers: O });
    expect(dl.status).toBe(200);
    expect(dl.header('content-length')).toBe('0');
    const ranged = await api.call('GET', `/v2/images/${img.id}/file`, { headers: { ...O, Range: 'bytes=0-0' } });
    expect(ranged.status).toBe(416);
    expect(ranged.text).toBe(
      plainDetailError(
        '416 Request Range Not Satisfiable',
        'The Range requested is not available.',
        'Invalid start position in Range header. Start position MUST be in the inclusive range [0, -1].',
      ),
    );
  });

  it('a client that aborts a download does not hurt the server', async () => {
    const img = await createImage(api, RAW, O);
    const data = randomBytes(60_000);
    await uploadImage(api, img.id, data, O);
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: api.port, path: `/v2/images/${img.id}/file`, headers: O }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(e)));
      });
    }
    await sleep(50);
    const full = await api.call('GET', `/v2/images/${img.id}/file`, { headers: O });
    expect(full.status).toBe(200);
    expect(full.body.equals(data)).toBe(true);
    expect((await api.call('GET', '/healthcheck')).status).toBe(200);
  });

  it('parallel uploads to different images all succeed with the right hashes', async () => {
    const blobs = Array.from({ length: 8 }, () => randomBytes(20_000));
    const imgs = await Promise.all(blobs.map(() => createImage(api, RAW, O)));
    const rs = await Promise.all(
      imgs.map((img, i) => api.call('PUT', `/v2/images/${img.id}/file`, { headers: { ...O, ...OCTET }, body: blobs[i]! })),
    );
    expect(rs.map((r) => r.status)).toEqual(blobs.map(() => 204));
    for (const [i, img] of imgs.entries()) expect((await show(img.id)).checksum).toBe(md5(blobs[i]!));
  });

  it('tags with encoded slashes and spaces round-trip', async () => {
    const img = await createImage(api, {}, O);
    expect((await api.call('PUT', `/v2/images/${img.id}/tags/a%2Fb`, { headers: O })).status).toBe(204);
    expect((await show(img.id)).tags).toEqual(['a/b']);
    expect((await api.call('DELETE', `/v2/images/${img.id}/tags/a%2Fb`, { headers: O })).status).toBe(204);
    expect((await show(img.id)).tags).toEqual([]);
  });
});
