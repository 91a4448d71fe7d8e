/**
 * python-glanceclient 4.1 against a real gateway process: `image-create-via-import` with
 * web-download from a fixture HTTP server on loopback (allowed by the gateway's fetch config),
 * and `image-import --import-method copy-image --stores` on a gateway with two stores. Every value
 * is read back (glance image-show, the raw API, the bytes in each store).
 */
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture } from '../fetch/fixture-server.js';
import { glance, ok, parseDict } from './clients.js';
import { removeTempDirs, startGateway, tempDir, type Gateway } from './gateway.js';
import { ADMIN, md5, randomFile, request, sha512, waitFor } from './http.js';

const SIZE = 3 * 1024 * 1024 + 17;
let work: string;
let src: string;
let hash: { md5: string; sha512: string };
let fixture: Fixture;

const image = async (gw: Gateway, id: string) => (await request(gw.url, 'GET', `/v2/images/${id}`, { headers: ADMIN })).json();

/** Waits until the import lock is gone, then returns the image. */
async function settled(gw: Gateway, id: string) {
  return waitFor(async () => {
    const img = await image(gw, id);
    return img.os_glance_import_task === undefined && img.status !== 'importing' ? img : null;
  }, 60_000);
}

function blob(gw: Gateway, store: string, id: string): Buffer {
  return readFileSync(path.join(gw.dataDir, store, id.slice(0, 2), id));
}

beforeAll(async () => {
  work = tempDir('gcimport');
  src = path.join(work, 'source.raw');
  hash = await randomFile(src, SIZE);
  fixture = await Fixture.start();
  fixture.route('/images/source.raw', (req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
    if (req.method === 'HEAD') res.end();
    else createReadStream(src).pipe(res);
  });
});

afterAll(async () => {
  await fixture?.close();
  removeTempDirs();
});

describe('glanceclient web-download from a loopback fixture the gateway allows', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ env: { GLANCE_GATEWAY_FETCH_ALLOW: '127.0.0.1', GLANCE_GATEWAY_FETCH_PORTS: 'any' } });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('image-create-via-import --import-method web-download --uri: active with the bytes of the URI', async () => {
    const uri = fixture.url('/images/source.raw');
    const r = ok(
      await glance(gw.url, ['image-create-via-import', '--name', 'gc-web', '--disk-format', 'raw', '--container-format', 'bare',
        '--import-method', 'web-download', '--uri', uri], { tty: true }),
    );
    const id = parseDict(r.stdout).id ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const img = await settled(gw, id);
    expect(img).toMatchObject({
      name: 'gc-web', status: 'active', size: SIZE, virtual_size: SIZE, checksum: hash.md5, os_hash_algo: 'sha512',
      os_hash_value: hash.sha512, os_glance_importing_to_stores: '', os_glance_failed_import: '',
    });
    expect(img).not.toHaveProperty('stores');
    const shown = parseDict(ok(await glance(gw.url, ['image-show', id])).stdout);
    expect(shown).toMatchObject({ status: 'active', size: String(SIZE), checksum: hash.md5, os_hash_value: hash.sha512 });
    const tasks = (await request(gw.url, 'GET', `/v2/images/${id}/tasks`, { headers: ADMIN })).json().tasks;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ status: 'success', input: { import_req: { method: { name: 'web-download', uri } } } });
    const out = path.join(work, 'web.out');
    ok(await glance(gw.url, ['image-download', '--file', out, id]));
    expect(md5(readFileSync(out))).toBe(hash.md5);
    expect(fixture.requests.filter((q) => q.path === '/images/source.raw' && q.method === 'GET')).toHaveLength(1);
  });

  it('a URI the fetch policy refuses (link-local metadata address) fails the command; the image stays queued', async () => {
    const r = await glance(gw.url, ['image-create-via-import', '--name', 'gc-ssrf', '--disk-format', 'raw', '--container-format', 'bare',
      '--import-method', 'web-download', '--uri', 'http://169.254.169.254/latest/meta-data/'], { tty: true });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('does not pass filtering');
    const list = (await request(gw.url, 'GET', '/v2/images?name=gc-ssrf', { headers: ADMIN })).json().images;
    for (const img of list) expect(img.status).toBe('queued');
  });
});

describe('glanceclient copy-image between two stores', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      env: {
        GLANCE_GATEWAY_STORES: 'fast:fast,cheap:cheap',
        GLANCE_GATEWAY_DEFAULT_STORE: 'fast',
        GLANCE_GATEWAY_IMPORT_METHODS: 'glance-direct,web-download,copy-image',
      },
    });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('stores-info and import-info show both stores and copy-image', async () => {
    const info = ok(await glance(gw.url, ['import-info'])).stdout;
    expect(info).toContain('copy-image');
    const stores = ok(await glance(gw.url, ['stores-info'])).stdout;
    expect(stores).toContain('fast');
    expect(stores).toContain('cheap');
  });

  it('image-create --file into fast, then image-import --import-method copy-image --stores cheap', async () => {
    const created = parseDict(
      ok(await glance(gw.url, ['image-create', '--name', 'gc-copy', '--disk-format', 'raw', '--container-format', 'bare', '--file', src])).stdout,
    );
    const id = created.id ?? '';
    expect(created).toMatchObject({ status: 'active', stores: 'fast', checksum: hash.md5 });
    ok(await glance(gw.url, ['image-import', '--import-method', 'copy-image', '--stores', 'cheap', id], { tty: true }));
    const img = await settled(gw, id);
    expect(img).toMatchObject({
      status: 'active', stores: 'fast,cheap', size: SIZE, checksum: hash.md5, os_hash_value: hash.sha512,
      os_glance_importing_to_stores: '', os_glance_failed_import: '',
    });
    const shown = parseDict(ok(await glance(gw.url, ['image-show', id])).stdout);
    expect(shown).toMatchObject({ status: 'active', stores: 'fast,cheap', checksum: hash.md5 });
    for (const store of ['fast', 'cheap']) {
      const bytes = blob(gw, store, id);
      expect([store, md5(bytes), sha512(bytes)]).toEqual([store, hash.md5, hash.sha512]);
    }
    const tasks = (await request(gw.url, 'GET', `/v2/images/${id}/tasks`, { headers: ADMIN })).json().tasks;
    expect(tasks.at(-1)).toMatchObject({ status: 'success', input: { backend: ['cheap'], import_req: { method: { name: 'copy-image' }, stores: ['cheap'] } } });
    // Copying again into a store that has it is refused by the gateway and reported by the client.
    const again = await glance(gw.url, ['image-import', '--import-method', 'copy-image', '--stores', 'cheap', id], { tty: true });
    expect(again.code).not.toBe(0);
    // glanceclient shows the webob text body, quotes HTML-escaped as Glance's own.
    expect(again.stdout + again.stderr).toContain('HTTP 400 Bad Request: Image is already present at store &#x27;cheap&#x27;');
  });

  it('image-create-via-import --file --stores fast,cheap (glance-direct into both)', async () => {
    const r = ok(
      await glance(gw.url, ['image-create-via-import', '--name', 'gc-both', '--disk-format', 'raw', '--container-format', 'bare',
        '--file', src, '--stores', 'fast,cheap'], { tty: true }),
    );
    const id = parseDict(r.stdout).id ?? '';
    const img = await settled(gw, id);
    expect(img).toMatchObject({ status: 'active', stores: 'fast,cheap', checksum: hash.md5, os_hash_value: hash.sha512, size: SIZE });
    for (const store of ['fast', 'cheap']) expect(md5(blob(gw, store, id))).toBe(hash.md5);
  });
});
