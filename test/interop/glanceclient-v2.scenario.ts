/**
 * python-glanceclient 4.1 (Debian) CLI, image API v2, against a real gateway process.
 * The CLI only sends X-Auth-Token: the target's admin token (noauth: admin in project `admin`).
 * Member-side and non-admin steps use the glanceclient *library* as the target's other callers
 * (gc_as.py: identity_headers in noauth mode, their own Keystone token otherwise).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeRun, tempDir } from './gateway.js';
import { md5, randomFile, request, sha512 } from './http.js';
import { gcAs, glance, ok, parseDict, parseList, type ClientOptions } from './clients.js';
import type { Target, Who } from './target.js';

const SIZE = 3 * 1024 * 1024 + 12345;

export function glanceclientV2Scenario(target: () => Target): void {
  describe('glanceclient v2 CLI', () => {
    let t: Target;
    let work: string;
    let src: string;
    let srcHash: { md5: string; sha512: string };
    let imageId = '';
    let MEMBER: Who;
    let OTHER: Who;
    const gc = (args: string[], opts: ClientOptions = {}) => glance(t.url, args, { ...opts, token: t.token });
    const api = (method: string, p: string, body?: object, headers = t.admin) =>
      request(t.url, method, p, { headers, ...(body ? { body } : {}) });
    const listIds = async (args: string[]): Promise<string[]> =>
      parseList(ok(await gc(['image-list', ...args])).stdout).map((row) => row.ID ?? '');

    beforeAll(async () => {
      t = target();
      MEMBER = t.who('m');
      OTHER = t.who('o');
      work = tempDir('gc');
      src = path.join(work, 'source.img');
      srcHash = await randomFile(src, SIZE);
    });

    it('image-create with file, properties and tags', async () => {
      const r = ok(
        await gc([
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
        owner: t.adminProject, protected: 'False', os_hidden: 'False',
      });
      expect(JSON.parse(d.tags ?? '[]').sort()).toEqual(['alpha', 'beta']);
      // The server's own view agrees with what the client printed.
      const img = (await api('GET', `/v2/images/${imageId}`)).json();
      expect(img).toMatchObject({ id: imageId, size: SIZE, checksum: srcHash.md5, os_hash_value: srcHash.sha512 });
    });

    it('image-show reads every value back', async () => {
      const d = parseDict(ok(await gc(['image-show', imageId])).stdout);
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
      const up = await request(t.url, 'PUT', `/v2/images/${batch[0]}/file`, {
        headers: { ...t.admin, 'Content-Type': 'application/octet-stream' }, body: Buffer.from('data'),
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
      const paged = ok(await gc(['--debug', 'image-list', '--tag', 'paged', '--page-size', '2']));
      expect(parseList(paged.stdout).map((r) => r.Name)).toEqual(batch.map((_, i) => `gc-page-${i}`));
      const urls = paged.stderr.match(/https?:\/\/[^\s'"]*\/v2\/images\?[^\s'"]*/g) ?? [];
      const pageRequests = urls.filter((u) => /[?&]limit=2(&|$)/.test(u));
      expect(pageRequests.length, describeRun(paged)).toBeGreaterThanOrEqual(4);
      expect(pageRequests.filter((l) => l.includes('marker=')).length).toBeGreaterThanOrEqual(3);

      const limited = parseList(ok(await gc(['image-list', '--tag', 'paged', '--limit', '3', '--page-size', '2'])).stdout);
      expect(limited.map((r) => r.Name)).toEqual(['gc-page-0', 'gc-page-1', 'gc-page-2']);
    });

    it('image-update properties and image-tag-update/-delete', async () => {
      const d = parseDict(
        ok(
          await gc(
            ['image-update', imageId, '--name', 'gc-img-2', '--property', 'build=43', '--property', 'stage=prod',
              '--remove-property', 'team', '--os-distro', 'ubuntu', '--min-disk', '2'],
            { tty: true },
          ),
        ).stdout,
      );
      expect(d).toMatchObject({ id: imageId, name: 'gc-img-2', build: '43', stage: 'prod', os_distro: 'ubuntu', min_disk: '2' });
      expect(d.team).toBeUndefined();
      expect(d.status).toBe('active');

      ok(await gc(['image-tag-update', imageId, 'gamma']));
      ok(await gc(['image-tag-delete', imageId, 'alpha']));
      // "replace" beta by delta
      ok(await gc(['image-tag-delete', imageId, 'beta']));
      ok(await gc(['image-tag-update', imageId, 'delta']));
      const after = (await api('GET', `/v2/images/${imageId}`)).json();
      expect([...after.tags].sort()).toEqual(['delta', 'gamma']);
      expect(after).toMatchObject({ name: 'gc-img-2', build: '43', stage: 'prod', os_distro: 'ubuntu', min_disk: 2 });
      expect(after).not.toHaveProperty('team');
      expect(await listIds(['--tag', 'gamma', '--tag', 'delta'])).toEqual([imageId]);
      expect(await listIds(['--tag', 'alpha'])).toEqual([]);
    });

    it('image-download equals the source file (md5 and sha512)', async () => {
      const out = path.join(work, 'download.img');
      ok(await gc(['image-download', '--file', out, imageId]));
      const got = readFileSync(out);
      expect(got.length).toBe(SIZE);
      expect(md5(got)).toBe(srcHash.md5);
      expect(sha512(got)).toBe(srcHash.sha512);
    });

    it('members: create, list, accept as the member project (glanceclient library)', async () => {
      const created = parseList(ok(await gc(['member-create', imageId, MEMBER.project])).stdout);
      expect(created).toEqual([{ 'Image ID': imageId, 'Member ID': MEMBER.project, Status: 'pending' }]);

      // Pending: visible by id, not in the member's default list.
      expect(await gcAs(t.url, MEMBER, 'member', 'image-show', imageId)).toMatchObject({ ok: true, result: { id: imageId } });
      const before = await gcAs(t.url, MEMBER, 'member', 'image-list');
      expect(before.ok).toBe(true);
      expect(before.result).not.toContain(imageId);
      expect(await gcAs(t.url, OTHER, 'member', 'image-show', imageId)).toMatchObject({ ok: false, status: 404 });
      // A non-admin caller of the owning project may not accept on the member's behalf (spec §9).
      expect(await gcAs(t.url, t.who('admin', 'member'), 'member', 'member-update', imageId, MEMBER.project, 'accepted')).toMatchObject({
        ok: false, status: 403,
      });
      const acc = await gcAs(t.url, MEMBER, 'member', 'member-update', imageId, MEMBER.project, 'accepted');
      expect(acc).toEqual({ ok: true, result: { image_id: imageId, member_id: MEMBER.project, status: 'accepted' } });

      const listed = parseList(ok(await gc(['member-list', '--image-id', imageId])).stdout);
      expect(listed).toEqual([{ 'Image ID': imageId, 'Member ID': MEMBER.project, Status: 'accepted' }]);
      const after = await gcAs(t.url, MEMBER, 'member', 'image-list');
      expect(after.result).toContain(imageId);
      expect(await gcAs(t.url, MEMBER, 'member', 'member-list', imageId)).toEqual({
        ok: true, result: [{ image_id: imageId, member_id: MEMBER.project, status: 'accepted' }],
      });
    });

    it('deactivate refuses non-admin download; reactivate restores it', async () => {
      ok(await gc(['image-deactivate', imageId]));
      expect(parseDict(ok(await gc(['image-show', imageId])).stdout).status).toBe('deactivated');
      const refused = await gcAs(t.url, MEMBER, 'member', 'download', imageId);
      expect(refused).toMatchObject({ ok: false, status: 403 });
      const raw = await request(t.url, 'GET', `/v2/images/${imageId}/file`, { headers: MEMBER.headers });
      expect(raw.status).toBe(403);
      expect(raw.text).toContain('The requested image has been deactivated. Image data download is forbidden.');
      // Admin (the CLI) may still download a deactivated image.
      const out = path.join(work, 'admin-deactivated.img');
      ok(await gc(['image-download', '--file', out, imageId]));
      expect(md5(readFileSync(out))).toBe(srcHash.md5);

      ok(await gc(['image-reactivate', imageId]));
      expect(parseDict(ok(await gc(['image-show', imageId])).stdout).status).toBe('active');
      const dl = await gcAs(t.url, MEMBER, 'member', 'download', imageId);
      expect(dl).toEqual({ ok: true, result: { size: SIZE, md5: srcHash.md5, sha512: srcHash.sha512 } });
    });

    it('member-delete then image-delete; the image is gone', async () => {
      ok(await gc(['member-delete', imageId, MEMBER.project]));
      expect(parseList(ok(await gc(['member-list', '--image-id', imageId])).stdout)).toEqual([]);
      expect(await gcAs(t.url, MEMBER, 'member', 'image-show', imageId)).toMatchObject({ ok: false, status: 404 });

      ok(await gc(['image-delete', imageId]));
      const show = await gc(['image-show', imageId]);
      expect(show.code).not.toBe(0);
      expect(show.stderr + show.stdout).toMatch(/No image with an ID of|not found|404/i);
      expect((await api('GET', `/v2/images/${imageId}`)).status).toBe(404);
      expect(await listIds(['--property-filter', `id=${imageId}`])).toEqual([]);
    });
  });
}
