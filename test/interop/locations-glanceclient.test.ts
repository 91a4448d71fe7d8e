/**
 * python-glanceclient 4.1 location commands (location-add/-update/-delete, which read the
 * image's `locations` and PATCH them) against a real gateway process started with
 * show_multiple_locations and show_image_direct_url on, and a fixture HTTP server on loopback that
 * the gateway's fetch configuration allows.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture } from '../fetch/fixture-server.js';
import { glance, ok, parseDict } from './clients.js';
import { removeTempDirs, startGateway, tempDir, type Gateway } from './gateway.js';
import { ADMIN, md5, request, sha512 } from './http.js';

const DATA = randomBytes(256 * 1024 + 3);
let gw: Gateway;
let fixture: Fixture;
let work: string;

const image = async (id: string) => (await request(gw.url, 'GET', `/v2/images/${id}`, { headers: ADMIN })).json();

beforeAll(async () => {
  work = tempDir('gcloc');
  fixture = await Fixture.start();
  for (const p of ['/a.iso', '/b.iso']) {
    fixture.route(p, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': DATA.length });
      res.end(req.method === 'HEAD' ? undefined : DATA);
    });
  }
  gw = await startGateway({
    env: {
      GLANCE_GATEWAY_SHOW_MULTIPLE_LOCATIONS: 'true',
      GLANCE_GATEWAY_SHOW_IMAGE_DIRECT_URL: 'true',
      GLANCE_GATEWAY_FETCH_ALLOW: '127.0.0.1',
      GLANCE_GATEWAY_FETCH_PORTS: 'any',
    },
  });
});

afterAll(async () => {
  await gw?.stop();
  await fixture?.close();
  removeTempDirs();
});

describe('glanceclient location commands', () => {
  it('location-add (with hashes) activates a queued image; update, download, delete; the last one stays', async () => {
    const a = fixture.url('/a.iso');
    const b = fixture.url('/b.iso');
    const created = parseDict(
      ok(await glance(gw.url, ['image-create', '--name', 'gc-loc', '--disk-format', 'raw', '--container-format', 'bare'], { tty: true })).stdout,
    );
    const id = created.id ?? '';
    expect(created).toMatchObject({ status: 'queued', locations: '[]' });

    ok(await glance(gw.url, ['location-add', '--url', a, '--metadata', '{"k": "v"}', '--checksum', md5(DATA),
      '--hash-algo', 'sha512', '--hash-value', sha512(DATA), id]));
    expect(await image(id)).toMatchObject({
      status: 'active', size: DATA.length, checksum: md5(DATA), os_hash_algo: 'sha512', os_hash_value: sha512(DATA),
      locations: [{ url: a, metadata: { k: 'v' } }], direct_url: a,
    });

    ok(await glance(gw.url, ['location-add', '--url', b, id]));
    ok(await glance(gw.url, ['location-update', '--url', b, '--metadata', '{"n": "2"}', id]));
    expect((await image(id)).locations).toEqual([{ url: a, metadata: { k: 'v' } }, { url: b, metadata: { n: '2' } }]);

    const out = path.join(work, 'loc.out');
    ok(await glance(gw.url, ['image-download', '--file', out, id]));
    expect(md5(readFileSync(out))).toBe(md5(DATA));

    ok(await glance(gw.url, ['location-delete', '--url', a, id]));
    expect(await image(id)).toMatchObject({ status: 'active', locations: [{ url: b, metadata: { n: '2' } }], direct_url: b });
    const last = await glance(gw.url, ['location-delete', '--url', b, id]);
    expect(last.code).not.toBe(0);
    expect(last.stdout + last.stderr).toContain('Cannot remove last location in the image.');
    expect((await image(id)).locations).toEqual([{ url: b, metadata: { n: '2' } }]);
  });

  it('location-add of an address the fetch policy refuses is a 400 and changes nothing', async () => {
    const created = parseDict(
      ok(await glance(gw.url, ['image-create', '--name', 'gc-loc-bad', '--disk-format', 'raw', '--container-format', 'bare'], { tty: true })).stdout,
    );
    const id = created.id ?? '';
    const r = await glance(gw.url, ['location-add', '--url', 'http://169.254.169.254/latest/meta-data/', id]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('Invalid location');
    expect(await image(id)).toMatchObject({ status: 'queued', locations: [] });
  });
});
