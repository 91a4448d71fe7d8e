/**
 * python-glanceclient 4.1 (Debian) CLI, image API v2, against a real gateway process.
 * The CLI only sends X-Auth-Token, so in noauth mode it acts as admin in project `admin`.
 * Member-side and non-admin steps use the glanceclient *library* with identity_headers (gc_as.py).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, startGateway, tempDir, type Gateway, removeTempDirs } from './gateway.js';
import { ADMIN, as, md5, randomFile, request, sha512 } from './http.js';
import { gcAs, glance, ok, parseDict, parseList } from './clients.js';

let gw: Gateway;
let work: string;
let src: string;
let srcHash: { md5: string; sha512: string };
const SIZE = 3 * 1024 * 1024 + 12345;
const MEMBER = `proj-${randomUUID().slice(0, 8)}`;
const OTHER = `proj-${randomUUID().slice(0, 8)}`;
let imageId = '';

const api = (method: string, p: string, body?: object, headers = ADMIN) =>
  request(gw.url, method, p, { headers, ...(body ? { body } : {}) });

async function listIds(args: string[]): Promise<string[]> {
  const r = ok(await glance(gw.url, ['image-list', ...args]));
  return parseList(r.stdout).map((row) => row.ID ?? '');
}

beforeAll(async () => {
  gw = await startGateway();
  work = tempDir('gc');
  src = path.join(work, 'source.img');
  srcHash = await randomFile(src, SIZE);
});

afterAll(async () => {
  await gw?.stop();
  removeTempDirs();
});

describe('glanceclient v2 CLI', () => {
  it('image-create with file, properties and tags', async () => {
    const r = ok(
      await glance(gw.url, [
        'image-create', '--name', 'gc-img', '--disk-format', 'raw', '--container-format', 'bare',
        '--os-distro', 'debian', '--min-ram', '128', '--property', 'build=42', '--property', 'team=infra',
        '--tags', 'alpha', 'beta', '--file', src,
      ]),
    );
    const d = parseDict(r.stdout);
    imageId = d.id ?? '';
    expect(imageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(d).toMatchObject({
      name: 'gc-img', status: 'active', size: String(SIZE), checksum: srcHash.md5,
      os_hash_algo: 'sha512', os_hash_value: srcHash.sha512, disk_format: 'raw', container_format: 'bare',
      visibility: 'shared', os_distro: 'debian', min_ram: '128', min_disk: '0', build: '42', team: 'infra',
      owner: 'admin', protected: 'False', os_hidden: 'False',
    });
    expect(JSON.parse(d.tags ?? '[]').sort()).toEqual(['alpha', 'beta']);
    // The server's own view agrees with what the client printed.
    const img = (await api('GET', `/v2/images/${imageId}`)).json();
    expect(img).toMatchObject({ id: imageId, size: SIZE, checksum: srcHash.md5, os_hash_value: srcHash.sha512 });
  });

  it('image-show reads every value back', async () => {
    const d = parseDict(ok(await glance(gw.url, ['image-show', imageId])).stdout);
    expect(d).toMatchObject({
      id: imageId, name: 'gc-img', status: 'active', size: String(SIZE), checksum: srcHash.md5,
      os_hash_algo: 'sha512', os_hash_value: srcHash.sha512, os_distro: 'debian', build: '42', team: 'infra',
      visibility: 'shared', min_ram: '128', disk_format: 'raw', container_format: 'bare',
    });
    expect(d.virtual_size).toBe(String(SIZE)); // raw/bare: virtual_size = byte count
    expect(JSON.parse(d.tags ?? '[]').sort()).toEqual(['alpha', 'beta']);
  });

  it('image-list filters: name, tag, property, visibility, status, limit and pagination', async () => {
    const batch: string[] = [];
    for (let i = 0; i < 7; i++) {
      const body = { name: `gc-page-${i}`, tags: ['paged'], batch: 'b1', disk_format: 'raw', container_format: 'bare' };
      const r = await api('POST', '/v2/images', i === 6 ? { ...body, visibility: 'private' } : body);
      expect(r.status).toBe(201);
      batch.push(r.json().id);
    }
    const up = await request(gw.url, 'PUT', `/v2/images/${batch[0]}/file`, {
      headers: { ...ADMIN, 'Content-Type': 'application/octet-stream' }, body: Buffer.from('data'),
    });
    expect(up.status).toBe(204);

    expect(await listIds(['--property-filter', 'name=gc-img'])).toEqual([imageId]);
    expect(await listIds(['--tag', 'alpha'])).toEqual([imageId]);
    expect(await listIds(['--tag', 'alpha', '--tag', 'beta'])).toEqual([imageId]);
    expect(await listIds(['--tag', 'alpha', '--tag', 'paged'])).toEqual([]);
    expect(await listIds(['--property-filter', 'build=42'])).toEqual([imageId]);
    expect((await listIds(['--tag', 'paged'])).sort()).toEqual([...batch].sort());
    expect(await listIds(['--visibility', 'private'])).toEqual([batch[6]]);
    expect((await listIds(['--property-filter', 'batch=b1', '--property-filter', 'status=queued'])).sort()).toEqual(
      batch.slice(1).sort(),
    );
    expect(await listIds(['--property-filter', 'batch=b1', '--property-filter', 'status=active'])).toEqual([batch[0]]);

    // Default sort is name asc; page size 2 walks 4 pages through `next`.
    const paged = ok(await glance(gw.url, ['--debug', 'image-list', '--tag', 'paged', '--page-size', '2']));
    expect(parseList(paged.stdout).map((r) => r.Name)).toEqual(batch.map((_, i) => `gc-page-${i}`));
    const urls = paged.stderr.match(/https?:\/\/[^\s'"]*\/v2\/images\?[^\s'"]*/g) ?? [];
    const pageRequests = urls.filter((u) => /[?&]limit=2(&|$)/.test(u));
    expect(pageRequests.length, describeRun(paged)).toBeGreaterThanOrEqual(4);
    expect(pageRequests.filter((l) => l.includes('marker=')).length).toBeGreaterThanOrEqual(3);

    const limited = parseList(ok(await glance(gw.url, ['image-list', '--tag', 'paged', '--limit', '3', '--page-size', '2'])).stdout);
    expect(limited.map((r) => r.Name)).toEqual(['gc-page-0', 'gc-page-1', 'gc-page-2']);
  });

  it('image-update properties and image-tag-update/-delete', async () => {
    const d = parseDict(
      ok(
        await glance(
          gw.url,
          ['image-update', imageId, '--name', 'gc-img-2', '--property', 'build=43', '--property', 'stage=prod',
            '--remove-property', 'team', '--os-distro', 'ubuntu', '--min-disk', '2'],
          { tty: true },
        ),
      ).stdout,
    );
    expect(d).toMatchObject({ id: imageId, name: 'gc-img-2', build: '43', stage: 'prod', os_distro: 'ubuntu', min_disk: '2' });
    expect(d.team).toBeUndefined();
    expect(d.status).toBe('active');

    ok(await glance(gw.url, ['image-tag-update', imageId, 'gamma']));
    ok(await glance(gw.url, ['image-tag-delete', imageId, 'alpha']));
    // "replace" beta by delta
    ok(await glance(gw.url, ['image-tag-delete', imageId, 'beta']));
    ok(await glance(gw.url, ['image-tag-update', imageId, 'delta']));
    const after = (await api('GET', `/v2/images/${imageId}`)).json();
    expect([...after.tags].sort()).toEqual(['delta', 'gamma']);
    expect(after).toMatchObject({ name: 'gc-img-2', build: '43', stage: 'prod', os_distro: 'ubuntu', min_disk: 2 });
    expect(after).not.toHaveProperty('team');
    expect(await listIds(['--tag', 'gamma', '--tag', 'delta'])).toEqual([imageId]);
    expect(await listIds(['--tag', 'alpha'])).toEqual([]);
  });

  it('image-download equals the source file (md5 and sha512)', async () => {
    const out = path.join(work, 'download.img');
    ok(await glance(gw.url, ['image-download', '--file', out, imageId]));
    const got = readFileSync(out);
    expect(got.length).toBe(SIZE);
    expect(md5(got)).toBe(srcHash.md5);
    expect(sha512(got)).toBe(srcHash.sha512);
  });

  it('members: create, list, accept as the member project (glanceclient library)', async () => {
    const created = parseList(ok(await glance(gw.url, ['member-create', imageId, MEMBER])).stdout);
    expect(created).toEqual([{ 'Image ID': imageId, 'Member ID': MEMBER, Status: 'pending' }]);

    // Pending: visible by id, not in the member's default list.
    expect(await gcAs(gw.url, MEMBER, 'member', 'image-show', imageId)).toMatchObject({ ok: true, result: { id: imageId } });
    const before = await gcAs(gw.url, MEMBER, 'member', 'image-list');
    expect(before.ok).toBe(true);
    expect(before.result).not.toContain(imageId);
    expect(await gcAs(gw.url, OTHER, 'member', 'image-show', imageId)).toMatchObject({ ok: false, status: 404 });
    // A non-admin caller of the owning project may not accept on the member's behalf (spec §9).
    expect(await gcAs(gw.url, 'admin', 'member', 'member-update', imageId, MEMBER, 'accepted')).toMatchObject({
      ok: false, status: 403,
    });
    const acc = await gcAs(gw.url, MEMBER, 'member', 'member-update', imageId, MEMBER, 'accepted');
    expect(acc).toEqual({ ok: true, result: { image_id: imageId, member_id: MEMBER, status: 'accepted' } });

    const listed = parseList(ok(await glance(gw.url, ['member-list', '--image-id', imageId])).stdout);
    expect(listed).toEqual([{ 'Image ID': imageId, 'Member ID': MEMBER, Status: 'accepted' }]);
    const after = await gcAs(gw.url, MEMBER, 'member', 'image-list');
    expect(after.result).toContain(imageId);
    expect(await gcAs(gw.url, MEMBER, 'member', 'member-list', imageId)).toEqual({
      ok: true, result: [{ image_id: imageId, member_id: MEMBER, status: 'accepted' }],
    });
  });

  it('deactivate refuses non-admin download; reactivate restores it', async () => {
    ok(await glance(gw.url, ['image-deactivate', imageId]));
    expect(parseDict(ok(await glance(gw.url, ['image-show', imageId])).stdout).status).toBe('deactivated');
    const refused = await gcAs(gw.url, MEMBER, 'member', 'download', imageId);
    expect(refused).toMatchObject({ ok: false, status: 403 });
    const raw = await request(gw.url, 'GET', `/v2/images/${imageId}/file`, { headers: as(MEMBER) });
    expect(raw.status).toBe(403);
    expect(raw.text).toContain('The requested image has been deactivated. Image data download is forbidden.');
    // Admin (the CLI) may still download a deactivated image.
    const out = path.join(work, 'admin-deactivated.img');
    ok(await glance(gw.url, ['image-download', '--file', out, imageId]));
    expect(md5(readFileSync(out))).toBe(srcHash.md5);

    ok(await glance(gw.url, ['image-reactivate', imageId]));
    expect(parseDict(ok(await glance(gw.url, ['image-show', imageId])).stdout).status).toBe('active');
    const dl = await gcAs(gw.url, MEMBER, 'member', 'download', imageId);
    expect(dl).toEqual({ ok: true, result: { size: SIZE, md5: srcHash.md5, sha512: srcHash.sha512 } });
  });

  it('member-delete then image-delete; the image is gone', async () => {
    ok(await glance(gw.url, ['member-delete', imageId, MEMBER]));
    expect(parseList(ok(await glance(gw.url, ['member-list', '--image-id', imageId])).stdout)).toEqual([]);
    expect(await gcAs(gw.url, MEMBER, 'member', 'image-show', imageId)).toMatchObject({ ok: false, status: 404 });

    ok(await glance(gw.url, ['image-delete', imageId]));
    const show = await glance(gw.url, ['image-show', imageId]);
    expect(show.code).not.toBe(0);
    expect(show.stderr + show.stdout).toMatch(/No image with an ID of|not found|404/i);
    expect((await api('GET', `/v2/images/${imageId}`)).status).toBe(404);
    expect(await listIds(['--property-filter', `id=${imageId}`])).toEqual([]);
  });
});
