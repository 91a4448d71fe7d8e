/**
 * HTTP-level behaviour with the real curl binary (spec v2-api.md §1.6 errors, §1.7 routing,
 * §2 versions, §5.4 v2.0 patch dialect, §6 data: chunked upload, 100-continue refusals, ranges).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURL, describeRun, run, startGateway, tempDir, type Gateway, removeTempDirs } from './gateway.js';
import { md5, randomFile } from './http.js';

let gw: Gateway;
let work: string;
let file: string;
let data: Buffer;
const SIZE = 1024 * 1024 + 333;
let n = 0;
let active = '';

interface CurlResult {
  statuses: number[];
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
}

async function curl(args: string[]): Promise<CurlResult> {
  n++;
  const hdr = path.join(work, `h${n}`);
  const out = path.join(work, `b${n}`);
  const r = await run(CURL, ['-sS', '-D', hdr, '-o', out, ...args], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`curl failed: ${describeRun(r)}`);
  const blocks = readFileSync(hdr, 'latin1').split(/\r\n\r\n/).filter((b) => b.startsWith('HTTP/'));
  const headers: Record<string, string> = {};
  for (const line of (blocks[blocks.length - 1] ?? '').split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const statuses = blocks.map((b) => Number(b.split(' ')[1]));
  let body: Buffer = Buffer.alloc(0);
  try {
    body = readFileSync(out);
  } catch {
    /* no body written (HEAD, 204) */
  }
  return { statuses, status: statuses[statuses.length - 1] ?? 0, headers, body, text: body.toString('utf8') };
}

async function createImage(extra = ''): Promise<string> {
  const r = await curl(['-X', 'POST', '-d', `{"disk_format": "raw", "container_format": "bare"${extra}}`, `${gw.url}/v2/images`]);
  expect(r.status).toBe(201);
  return JSON.parse(r.text).id;
}
const put = (id: string, extra: string[]) =>
  curl(['-X', 'PUT', ...extra, '--data-binary', `@${file}`, `${gw.url}/v2/images/${id}/file`]);

beforeAll(async () => {
  gw = await startGateway();
  work = tempDir('curlp');
  file = path.join(work, 'data.raw');
  await randomFile(file, SIZE);
  data = readFileSync(file);
});

afterAll(async () => {
  await gw?.stop();
  removeTempDirs();
});

describe('HTTP behaviour through curl', () => {
  it('versions: GET / is 300, /versions is 200, both list v2.15 CURRENT first', async () => {
    const root = await curl([`${gw.url}/`]);
    expect(root.status).toBe(300);
    const versions = await curl([`${gw.url}/versions`]);
    expect(versions.status).toBe(200);
    for (const r of [root, versions]) {
      expect(r.headers['content-type']).toBe('application/json');
      const v = JSON.parse(r.text).versions;
      expect(v[0]).toEqual({ id: 'v2.15', status: 'CURRENT', links: [{ rel: 'self', href: `${gw.url}/v2/` }] });
      expect(v.map((x: { id: string }) => x.id)).toContain('v2.0');
    }
  });

  it('chunked upload (no Content-Length) is accepted: 204', async () => {
    const id = await createImage();
    const r = await put(id, ['-H', 'Content-Type: application/octet-stream', '-H', 'Transfer-Encoding: chunked']);
    expect(r.status).toBe(204);
    const img = JSON.parse((await curl([`${gw.url}/v2/images/${id}`])).text);
    expect(img).toMatchObject({ status: 'active', size: SIZE, checksum: md5(data) });
    active = id;
  });

  it('uploads refused before the body is needed: 415 wrong type, 409 not queued, image unchanged', async () => {
    const id = await createImage();
    const bad = await put(id, ['-H', 'Content-Type: text/plain', '-H', 'Expect: 100-continue']);
    expect(bad.status).toBe(415);
    expect(bad.text).toContain('The request media type text/plain is not supported by this server.');
    expect(JSON.parse((await curl([`${gw.url}/v2/images/${id}`])).text).status).toBe('queued');
    const conflict = await put(active, ['-H', 'Content-Type: application/octet-stream', '-H', 'Expect: 100-continue']);
    expect(conflict.status).toBe(409);
    expect(conflict.text).toContain('Image status transition from active to saving is not allowed');
    expect(JSON.parse((await curl([`${gw.url}/v2/images/${active}`])).text)).toMatchObject({ status: 'active', checksum: md5(data) });
  });

  it('ranged downloads: 206 with Content-Range and the whole-image Content-MD5; 416 and 400', async () => {
    const first = await curl(['-H', 'Range: bytes=0-99', `${gw.url}/v2/images/${active}/file`]);
    expect(first.status).toBe(206);
    expect(first.headers['content-range']).toBe(`bytes 0-99/${SIZE}`);
    expect(first.headers['content-length']).toBe('100');
    expect(first.headers['content-md5']).toBe(md5(data));
    expect(first.body.equals(data.subarray(0, 100))).toBe(true);
    const suffix = await curl(['-H', 'Range: bytes=-10', `${gw.url}/v2/images/${active}/file`]);
    expect(suffix.status).toBe(206);
    expect(suffix.headers['content-range']).toBe(`bytes ${SIZE - 10}-${SIZE - 1}/${SIZE}`);
    expect(suffix.body.equals(data.subarray(SIZE - 10))).toBe(true);
    const past = await curl(['-H', `Range: bytes=${SIZE}-`, `${gw.url}/v2/images/${active}/file`]);
    expect(past.status).toBe(416);
    const multi = await curl(['-H', 'Range: bytes=0-1,5-6', `${gw.url}/v2/images/${active}/file`]);
    expect(multi.status).toBe(400);
    expect(multi.text).toContain('Requests with multiple ranges are not supported in Glance.');
  });

  it('error bodies follow Accept: json, plain and html (spec §1.6)', async () => {
    const zero = '00000000-0000-0000-0000-000000000000';
    const url = `${gw.url}/v2/images/${zero}`;
    const j = await curl(['-H', 'Accept: application/json', url]);
    expect(j.status).toBe(404);
    expect(j.headers['content-type']).toBe('application/json');
    expect(JSON.parse(j.text)).toEqual({
      message: `No image found with ID ${zero}<br /><br />\n\n\n`, code: '404 Not Found', title: 'Not Found',
    });
    const plain = await curl(['-H', 'Accept:', url]);
    expect(plain.headers['content-type']).toBe('text/plain; charset=UTF-8');
    expect(plain.text).toBe(`404 Not Found\n\nNo image found with ID ${zero}\n\n   `);
    const html = await curl([url]);
    expect(html.headers['content-type']).toBe('text/html; charset=UTF-8');
    expect(html.text).toBe(
      `<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  No image found with ID ${zero}<br /><br />\n\n\n\n </body>\n</html>`,
    );
  });

  it('routing: HEAD on a collection is 405 with Allow, trailing slash is 404', async () => {
    const head = await curl(['-I', `${gw.url}/v2/images`]);
    expect(head.status).toBe(405);
    expect(head.headers.allow).toBe('GET, POST');
    expect((await curl([`${gw.url}/v2/images/`])).status).toBe(404);
    const wrong = await curl(['-X', 'PUT', `${gw.url}/v2/images/${active}`]);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, PATCH, DELETE');
  });

  it('v2.0 json-patch dialect (tempest): replace works, add of a base attribute is 409', async () => {
    const id = await createImage(', "name": "old"');
    const v20 = ['-X', 'PATCH', '-H', 'Content-Type: application/openstack-images-v2.0-json-patch'];
    const r = await curl([...v20, '-d', '[{"replace": "/name", "value": "new"}, {"add": "/flavor", "value": "x"}]', `${gw.url}/v2/images/${id}`]);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ name: 'new', flavor: 'x' });
    const c = await curl([...v20, '-d', '[{"add": "/name", "value": "again"}]', `${gw.url}/v2/images/${id}`]);
    expect(c.status).toBe(409);
    expect(c.text).toContain('Property name already present.');
    expect(JSON.parse((await curl([`${gw.url}/v2/images/${id}`])).text).name).toBe('new');
  });
});
