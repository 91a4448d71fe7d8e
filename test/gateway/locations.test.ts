import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Config } from '../../src/config/config.js';
import { Fixture } from '../fetch/fixture-server.js';
import { startHarness, type Harness } from './harness.js';
import { ADMIN, OWNER, call, md5, sha512, type Json } from './import-helpers.js';

const V21 = 'application/openstack-images-v2.1-json-patch';
const V20 = 'application/openstack-images-v2.0-json-patch';
const REMOTE = randomBytes(4096);
const OTHER = { 'X-Project-Id': 'p2', 'X-Roles': 'member' };

async function patch(url: string, id: string, ops: unknown[], headers: Record<string, string> = OWNER, type = V21) {
  const res = await fetch(`${url}/v2/images/${id}`, {
    method: 'PATCH',
    body: JSON.stringify(ops),
    headers: { Accept: 'application/json', 'Content-Type': type, ...headers },
  });
  const text = await res.text();
  return { status: res.status, json: (text.startsWith('{') ? JSON.parse(text) : {}) as Json, text };
}

async function newImage(url: string, headers: Record<string, string> = OWNER): Promise<string> {
  const r = await call(url, 'POST', '/v2/images', { disk_format: 'raw', container_format: 'bare', visibility: 'shared' }, headers);
  return r.json.id as string;
}

function blobUrl(h: Harness, storePath: string, id: string): string {
  return pathToFileURL(join(h.dataDir, storePath, id.slice(0, 2), id)).href;
}

async function serveImages(): Promise<Fixture> {
  const src = await Fixture.start();
  for (const path of ['/a.iso', '/b.iso', '/c.iso']) {
    src.route(path, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': REMOTE.length });
      res.end(req.method === 'HEAD' ? undefined : REMOTE);
    });
  }
  src.route('/empty', (_req, res) => {
    res.writeHead(200, { 'content-length': 0 });
    res.end();
  });
  return src;
}

const loopback = (extra: Partial<Config> = {}): Partial<Config> => ({
  fetch: { ...DEFAULT_CONFIG.fetch, allow: ['127.0.0.1'], ports: null },
  ...extra,
});

describe('locations with showMultipleLocations and showImageDirectUrl on', () => {
  let h: Harness;
  let src: Fixture;
  beforeAll(async () => {
    src = await serveImages();
    h = await startHarness(loopback({ showMultipleLocations: true, showImageDirectUrl: true, limits: { ...DEFAULT_CONFIG.limits, locationQuota: 3 } }));
  });
  afterAll(async () => {
    await h.stop();
    await src.close();
  });

  it('shows `locations: []` and no direct_url for an image without data; the file location once uploaded', async () => {
    const id = await newImage(h.url);
    const fresh = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, OWNER)).json;
    expect(fresh.locations).toEqual([]);
    expect(fresh).not.toHaveProperty('direct_url');
    const keys = Object.keys(fresh);
    expect(keys.slice(keys.indexOf('updated_at'), keys.indexOf('tags') + 1)).toEqual(['updated_at', 'locations', 'tags']);
    await call(h.url, 'PUT', `/v2/images/${id}/file`, Buffer.from('hello'), OWNER);
    const shown = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, OWNER)).json;
    expect(shown.locations).toEqual([{ url: blobUrl(h, 'images', id), metadata: {} }]);
    expect(shown.direct_url).toBe(blobUrl(h, 'images', id));
    const k = Object.keys(shown);
    expect(k.slice(k.indexOf('updated_at'), k.indexOf('tags') + 1)).toEqual(['updated_at', 'locations', 'direct_url', 'tags']);
  });

  it('add /locations/- on a queued image makes it active with the remote size; downloads stream from it', async () => {
    const id = await newImage(h.url);
    const r = await patch(h.url, id, [{ op: 'add', path: '/locations/-', value: { url: src.url('/a.iso'), metadata: { k: 'v' } } }]);
    expect(r.status).toBe(200);
    expect(r.json.status).toBe('active');
    expect(r.json.size).toBe(REMOTE.length);
    expect(r.json.locations).toEqual([{ url: src.url('/a.iso'), metadata: { k: 'v' } }]);
    expect(r.json.direct_url).toBe(src.url('/a.iso'));
    const got = Buffer.from(await (await fetch(`${h.url}/v2/images/${id}/file`, { headers: OWNER })).arrayBuffer());
    expect(got.equals(REMOTE)).toBe(true);
  });

  it('tempest dialect (v2.0) add, then a second location at index 0, replace metadata, remove', async () => {
    const id = await newImage(h.url);
    const a = { url: src.url('/a.iso'), metadata: {} };
    const b = { url: src.url('/b.iso'), metadata: { n: 1 } };
    expect((await patch(h.url, id, [{ add: '/locations/-', value: a }], OWNER, V20)).status).toBe(200);
    const two = await patch(h.url, id, [{ add: '/locations/0', value: b }], OWNER, V20);
    expect(two.status).toBe(200);
    expect(two.json.locations).toEqual([b, a]);
    const replaced = await patch(h.url, id, [{ replace: '/locations', value: [a, { ...b, metadata: { n: 2 } }] }], OWNER, V20);
    expect(replaced.status).toBe(200);
    expect(replaced.json.locations).toEqual([a, { ...b, metadata: { n: 2 } }]);
    const removed = await patch(h.url, id, [{ remove: '/locations/0' }], OWNER, V20);
    expect(removed.status).toBe(200);
    expect(removed.json.locations).toEqual([{ ...b, metadata: { n: 2 } }]);
    const last = await patch(h.url, id, [{ remove: '/locations/0' }], OWNER, V20);
    expect([last.status, last.text]).toEqual([403, expect.stringContaining('Cannot remove last location in the image.')]);
  });

  it("tempest's ImageLocationsTest sequence (v2.0 dialect, #fragment URLs, replace rules)", async () => {
    const created = await call(h.url, 'POST', '/v2/images', { container_format: 'bare', disk_format: 'raw' }, OWNER);
    expect([created.json.status, created.json.locations]).toEqual(['queued', []]);
    const id = created.json.id as string;
    const http = src.url('/a.iso');
    const first = { metadata: { foo: 'bar' }, url: http };
    expect((await patch(h.url, id, [{ add: '/locations/-', value: first }], OWNER, V20)).status).toBe(200);
    let img = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, OWNER)).json;
    expect(img.locations).toEqual([first]);
    expect(img.direct_url).toBe(http);
    expect([img.status, img.os_hash_algo, img.os_hash_value]).toEqual(['active', null, null]);
    const second = { metadata: { speed: '88mph' }, url: `${http}#new` };
    expect((await patch(h.url, id, [{ add: '/locations/-', value: second }], OWNER, V20)).status).toBe(200);
    img = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, OWNER)).json;
    expect(img.locations).toEqual([first, second]);
    expect(img.direct_url).toBe(http);
    const original = img.locations as Array<{ url: string; metadata: Json }>;
    expect((await patch(h.url, id, [{ replace: '/locations', value: original }], OWNER, V20)).status).toBe(200);
    original[0]!.metadata.date = '2015-10-15';
    expect((await patch(h.url, id, [{ replace: '/locations', value: original }], OWNER, V20)).status).toBe(200);
    expect((await patch(h.url, id, [{ replace: '/locations', value: [original[0]] }], OWNER, V20)).status).toBe(400);
    const third = { metadata: original[1]!.metadata, url: `${http}#new3` };
    expect((await patch(h.url, id, [{ replace: '/locations', value: [original[0], third] }], OWNER, V20)).status).toBe(400);
    img = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, OWNER)).json;
    expect(img.locations).toEqual(original);
    const gopher = await call(h.url, 'POST', '/v2/images', { container_format: 'bare', disk_format: 'raw' }, OWNER);
    const bad = await patch(h.url, gopher.json.id as string, [{ add: '/locations/-', value: { metadata: { foo: 'bar' }, url: 'gopher://info.cern.ch' } }], OWNER, V20);
    expect(bad.status).toBe(400);
  });

  it("refuses Glance's invalid cases with its codes and messages", async () => {
    const queued = await newImage(h.url);
    const a = { url: src.url('/a.iso'), metadata: {} };
    const cases: Array<[unknown[], number, string]> = [
      [[{ op: 'add', path: '/locations/x', value: a }], 400, 'Invalid position for adding a location.'],
      [[{ op: 'add', path: '/locations/-', value: { url: 'http://169.254.169.254/latest/', metadata: {} } }], 400, 'Invalid location'],
      [[{ op: 'add', path: '/locations/-', value: { url: 'http://10.0.0.1/x.iso', metadata: {} } }], 400, 'Invalid location'],
      [[{ op: 'add', path: '/locations/-', value: { url: 'file:///etc/passwd', metadata: {} } }], 400, 'Invalid location'],
      [[{ op: 'add', path: '/locations/-', value: { url: src.url('/missing'), metadata: {} } }], 400, 'Invalid location'],
      [[{ op: 'add', path: '/locations/-', value: { url: src.url('/empty'), metadata: {} } }], 400, 'Invalid location'],
      [[{ op: 'add', path: '/locations/-', value: { url: src.url('/a.iso') } }], 400, "'metadata' is a required property"],
      [[{ op: 'replace', path: '/locations', value: [] }], 403, 'Cannot set locations to empty list.'],
      [[{ op: 'remove', path: '/locations/0' }], 409, "It's not allowed to remove locations if image status is queued."],
      [[{ op: 'add', path: '/locations/-', value: { ...a, validation_data: { checksum: 'abcd'.repeat(7), os_hash_algo: 'sha512', os_hash_value: 'a'.repeat(128) } } }], 400, 'Provided object does not match schema'],
      [[{ op: 'add', path: '/locations/-', value: { ...a, validation_data: { os_hash_algo: 'md5', os_hash_value: 'a'.repeat(32) } } }], 409, 'os_hash_algo must be sha512, not md5'],
      [[{ op: 'add', path: '/locations/-', value: { ...a, validation_data: { os_hash_algo: 'sha512', os_hash_value: 'a'.repeat(100) } } }], 409, 'is not the correct size for sha512 (should be 64 bytes)'],
    ];
    for (const [ops, status, message] of cases) {
      const r = await patch(h.url, queued, ops);
      expect([JSON.stringify(ops), r.status, r.text]).toEqual([JSON.stringify(ops), status, expect.stringContaining(message)]);
    }
    const still = (await call(h.url, 'GET', `/v2/images/${queued}`, undefined, OWNER)).json;
    expect([still.status, still.locations]).toEqual(['queued', []]);
    expect(await patch(h.url, queued, [{ op: 'add', path: '/locations/-', value: a }]).then((r) => r.status)).toBe(200);
    const dup = await patch(h.url, queued, [{ op: 'add', path: '/locations/-', value: a }]);
    expect([dup.status, dup.json.message]).toEqual([400, expect.stringContaining(`The location ${a.url} already exists`)]);
    const other = await patch(h.url, queued, [{ op: 'replace', path: '/locations', value: [{ url: src.url('/b.iso'), metadata: {} }] }]);
    expect([other.status, other.json.message]).toEqual([400, expect.stringContaining('Original locations is not empty')]);
    const badPos = await patch(h.url, queued, [{ op: 'remove', path: '/locations/7' }]);
    expect(badPos.status).toBe(403); // one location only: "last location" is checked first, as in Glance
  });

  it('validation_data sets checksum and hashes on a queued image; a mismatch later is 409', async () => {
    const id = await newImage(h.url);
    const vd = { checksum: md5(REMOTE), os_hash_algo: 'sha512', os_hash_value: sha512(REMOTE) };
    const r = await patch(h.url, id, [{ op: 'add', path: '/locations/-', value: { url: src.url('/a.iso'), metadata: {}, validation_data: vd } }]);
    expect(r.status).toBe(200);
    expect([r.json.checksum, r.json.os_hash_algo, r.json.os_hash_value]).toEqual([vd.checksum, 'sha512', vd.os_hash_value]);
    const wrong = { ...vd, checksum: '0'.repeat(32) };
    const second = await patch(h.url, id, [{ op: 'add', path: '/locations/-', value: { url: src.url('/b.iso'), metadata: {}, validation_data: wrong } }]);
    expect([second.status, second.json.message]).toEqual([409, expect.stringContaining('checksum is already set with a different value')]);
    const same = await patch(h.url, id, [{ op: 'add', path: '/locations/-', value: { url: src.url('/b.iso'), metadata: {}, validation_data: vd } }]);
    expect(same.status).toBe(200);
  });

  it('enforces image_location_quota with 413', async () => {
    const id = await newImage(h.url);
    for (const p of ['/a.iso', '/b.iso', '/c.iso']) {
      expect((await patch(h.url, id, [{ op: 'add', path: '/locations/-', value: { url: src.url(p), metadata: {} } }])).status).toBe(200);
    }
    const over = await patch(h.url, id, [{ op: 'add', path: '/locations/-', value: { url: src.url('/a.iso'), metadata: { again: true } } }]);
    expect(over.status).toBe(413);
  });

  it('non-owners get 403 and the gateway does not probe their URL', async () => {
    const id = await newImage(h.url);
    await call(h.url, 'POST', `/v2/images/${id}/members`, { member: 'p2' }, OWNER);
    const before = src.requests.length;
    const r = await patch(h.url, id, [{ op: 'add', path: '/locations/-', value: { url: src.url('/c.iso'), metadata: {} } }], OTHER);
    expect([r.status, r.json.message]).toEqual([403, expect.stringContaining('You do not own this image')]);
    expect(src.requests.length).toBe(before);
  });

  it('removing the store-held location deletes those bytes; the image then reads from the remote one', async () => {
    const id = await newImage(h.url);
    await call(h.url, 'PUT', `/v2/images/${id}/file`, REMOTE, OWNER);
    expect((await patch(h.url, id, [{ op: 'add', path: '/locations/-', value: { url: src.url('/a.iso'), metadata: {} } }])).status).toBe(200);
    const r = await patch(h.url, id, [{ op: 'remove', path: '/locations/0' }]);
    expect(r.status).toBe(200);
    expect(r.json.locations).toEqual([{ url: src.url('/a.iso'), metadata: {} }]);
    expect(existsSync(join(h.dataDir, 'images', id.slice(0, 2), id))).toBe(false);
    const got = Buffer.from(await (await fetch(`${h.url}/v2/images/${id}/file`, { headers: OWNER })).arrayBuffer());
    expect(got.equals(REMOTE)).toBe(true);
  });

  it('a deactivated image: 409 on add, no locations for non-admins, all of them for admins', async () => {
    const id = await newImage(h.url);
    await call(h.url, 'PUT', `/v2/images/${id}/file`, Buffer.from('x'), OWNER);
    expect((await call(h.url, 'POST', `/v2/images/${id}/actions/deactivate`, undefined, OWNER)).status).toBe(204);
    const add = await patch(h.url, id, [{ op: 'add', path: '/locations/-', value: { url: src.url('/a.iso'), metadata: {} } }]);
    expect([add.status, add.json.message]).toEqual([409, expect.stringContaining("It's not allowed to add locations if image status is deactivated.")]);
    const owner = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, OWNER)).json;
    expect(owner.locations).toEqual([]);
    expect(owner).not.toHaveProperty('direct_url');
    const admin = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, ADMIN)).json;
    expect(admin.locations).toEqual([{ url: blobUrl(h, 'images', id), metadata: {} }]);
  });
});

describe('locations with several stores', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      showMultipleLocations: true,
      stores: [{ id: 'fast', path: 'fast' }, { id: 'cheap', path: 'cheap' }],
      defaultStore: 'fast',
    });
  });
  afterAll(() => h.stop());

  it('each store copy is a location with metadata {"store": id}; `stores` agrees', async () => {
    const id = await newImage(h.url);
    await call(h.url, 'PUT', `/v2/images/${id}/file`, Buffer.from('two stores'), OWNER);
    const img = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, OWNER)).json;
    expect(img.locations).toEqual([{ url: blobUrl(h, 'fast', id), metadata: { store: 'fast' } }]);
    expect(img.stores).toBe('fast');
    expect(img).not.toHaveProperty('direct_url');
  });
});

describe('locations with showMultipleLocations off (the default)', () => {
  let h: Harness;
  let src: Fixture;
  beforeAll(async () => {
    src = await serveImages();
    h = await startHarness(loopback());
  });
  afterAll(async () => {
    await h.stop();
    await src.close();
  });

  it('hides `locations` and `direct_url` and refuses every /locations op with 403', async () => {
    const id = await newImage(h.url);
    await call(h.url, 'PUT', `/v2/images/${id}/file`, Buffer.from('hidden'), OWNER);
    const img = (await call(h.url, 'GET', `/v2/images/${id}`, undefined, OWNER)).json;
    expect(img).not.toHaveProperty('locations');
    expect(img).not.toHaveProperty('direct_url');
    const loc = { url: src.url('/a.iso'), metadata: {} };
    const cases: Array<[unknown, string]> = [
      [{ op: 'add', path: '/locations/-', value: loc }, "It's not allowed to add locations if locations are invisible."],
      [{ op: 'replace', path: '/locations', value: [loc] }, "It's not allowed to update locations if locations are invisible."],
      [{ op: 'remove', path: '/locations/0' }, "It's not allowed to remove locations if locations are invisible."],
    ];
    for (const [op, message] of cases) {
      const r = await patch(h.url, id, [op]);
      expect([r.status, r.json.message]).toEqual([403, expect.stringContaining(message)]);
    }
    expect(src.requests).toHaveLength(0);
  });
});
