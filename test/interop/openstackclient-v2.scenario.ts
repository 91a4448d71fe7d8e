/**
 * python-openstackclient 6.0 (Debian; images through openstacksdk 0.101), image API v2, against a
 * real gateway process. OSC cannot send extra headers: it sends the target's admin token (noauth:
 * admin in project `admin`); member-side and non-admin steps (accept the share, refused download)
 * go through curl as the target's member caller (identity headers or its token). `image remove project` (and `image set --accept --project`)
 * resolve the project through Keystone, which does not exist here: member removal uses curl too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CURL, run, tempDir } from './gateway.js';
import { md5, randomFile, request, sha512 } from './http.js';
import { ok, okJson, openstack, openstackDiscovery } from './clients.js';
import type { Target, Who } from './target.js';

const SIZE = 2 * 1024 * 1024 + 777;
const ids = (rows: { ID: string }[]) => rows.map((r) => r.ID);
const curlHeaders = (headers: Record<string, string>) => Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);

async function curlAs(headers: Record<string, string>, args: string[]) {
  const r = await run(CURL, ['-sS', '-o', '/dev/null', '-w', '%{http_code}', ...curlHeaders(headers), ...args]);
  return Number(r.stdout.trim());
}

export function openstackclientV2Scenario(target: () => Target): void {
  describe('openstackclient image v2', () => {
    let t: Target;
    let work: string;
    let src: string;
    let srcHash: { md5: string; sha512: string };
    let imageId = '';
    let MEMBER: Who;
    const api = (method: string, p: string, body?: object) =>
      request(t.url, method, p, { headers: t.admin, ...(body ? { body } : {}) });
    const os = (...args: string[]) => openstack(t.url, args, { token: t.token });

    beforeAll(async () => {
      t = target();
      MEMBER = t.who('m');
      work = tempDir('osc');
      src = path.join(work, 'source.img');
      srcHash = await randomFile(src, SIZE);
    });

    it('image create with file, properties and tags', async () => {
      const img = okJson(
        await os('image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', src,
          '--min-ram', '256', '--property', 'build=42', '--property', 'team=infra', '--tag', 'alpha', '--tag', 'beta',
          '-f', 'json', 'osc-img'),
      );
      imageId = img.id;
      expect(imageId).toMatch(/^[0-9a-f-]{36}$/);
      // OSC prints the image as created, before its upload: the data fields are checked via show.
      expect(img).toMatchObject({
        name: 'osc-img', disk_format: 'raw', container_format: 'bare', visibility: 'shared', min_ram: 256,
        min_disk: 0, owner: t.adminProject, protected: false,
      });
      expect([...img.tags].sort()).toEqual(['alpha', 'beta']);
      expect(img.properties).toMatchObject({ build: '42', team: 'infra' });
      const shown = okJson(await os('image', 'show', '-f', 'json', imageId));
      expect(shown).toMatchObject({ status: 'active', size: SIZE, checksum: srcHash.md5 });
    });

    it('image show reads every value back', async () => {
      const img = okJson(await os('image', 'show', '-f', 'json', imageId));
      expect(img).toMatchObject({
        id: imageId, name: 'osc-img', status: 'active', size: SIZE, virtual_size: SIZE, checksum: srcHash.md5,
        disk_format: 'raw', container_format: 'bare', visibility: 'shared', min_ram: 256, owner: t.adminProject,
        file: `/v2/images/${imageId}/file`, schema: '/v2/schemas/image',
      });
      expect(img.properties).toMatchObject({ build: '42', team: 'infra', os_hash_algo: 'sha512', os_hash_value: srcHash.sha512, os_hidden: false });
      expect([...img.tags].sort()).toEqual(['alpha', 'beta']);
      const shown = okJson(await os('image', 'show', '-f', 'json', 'osc-img')); // lookup by name
      expect(shown.id).toBe(imageId);
    });

    it('image list filters, --limit/--marker pages and automatic pagination', async () => {
      const batch: string[] = [];
      for (let i = 0; i < 30; i++) {
        const r = await api('POST', '/v2/images', {
          name: `osc-page-${String(i).padStart(2, '0')}`, tags: ['osc-page'], disk_format: 'raw',
          container_format: 'bare', ...(i === 29 ? { visibility: 'private' } : {}),
        });
        expect(r.status).toBe(201);
        batch.push(r.json().id);
      }
      expect(ids(okJson(await os('image', 'list', '--name', 'osc-img', '-f', 'json')))).toEqual([imageId]);
      expect(ids(okJson(await os('image', 'list', '--tag', 'alpha', '-f', 'json')))).toEqual([imageId]);
      expect(ids(okJson(await os('image', 'list', '--tag', 'alpha', '--tag', 'osc-page', '-f', 'json')))).toEqual([]);
      expect(ids(okJson(await os('image', 'list', '--property', 'build=42', '-f', 'json')))).toEqual([imageId]);
      expect(ids(okJson(await os('image', 'list', '--private', '-f', 'json')))).toEqual([batch[29]]);
      const active = okJson(await os('image', 'list', '--status', 'active', '-f', 'json'));
      expect(active).toEqual([{ ID: imageId, Name: 'osc-img', Status: 'active' }]);
      const queued = okJson(await os('image', 'list', '--status', 'queued', '--long', '-f', 'json'));
      expect(ids(queued).sort()).toEqual([...batch].sort());
      expect(queued.find((r: { ID: string }) => r.ID === batch[29])).toMatchObject({ Visibility: 'private', Tags: ['osc-page'] });

      // 31 images > the default page of 25: the SDK must follow `next`.
      const all = okJson(await os('image', 'list', '-f', 'json'));
      expect(ids(all).sort()).toEqual([...batch, imageId].sort());
      // Version discovery needs auth type `none` (admin_token skips it); with Keystone that would
      // be a catalog lookup, and the test Keystone has no image endpoint: noauth targets only.
      if (t.auth === 'noauth') {
        const discovered = okJson(await openstackDiscovery(t.url, ['image', 'list', '--tag', 'osc-page', '-f', 'json']));
        expect(ids(discovered).sort()).toEqual([...batch].sort());
      }

      // OSC sorts each page by name on the client, so the marker (the server's last item of the
      // page) is taken from the same page fetched over HTTP; both must hold the same images.
      const pages: string[][] = [];
      let marker: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = ids(okJson(await os('image', 'list', '--tag', 'osc-page', '--limit', '7', '-f', 'json',
          ...(marker ? ['--marker', marker] : []))));
        const raw = (await api('GET', `/v2/images?tag=osc-page&limit=7${marker ? `&marker=${marker}` : ''}`)).json();
        const rawIds = raw.images.map((im: { id: string }) => im.id);
        expect([...page].sort()).toEqual([...rawIds].sort());
        pages.push(page);
        if (page.length < 7) break;
        marker = rawIds[rawIds.length - 1];
      }
      expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 2]);
      expect(pages.flat().sort()).toEqual([...batch].sort());
      // Default order is created_at desc: the last created image is on the first page.
      expect(pages[0]).toContain(batch[29]);
    });

    it('image set / unset: properties and tags added, replaced and removed', async () => {
      ok(await os('image', 'set', '--name', 'osc-img-2', '--property', 'build=43', '--property', 'stage=prod',
        '--tag', 'gamma', '--min-disk', '3', imageId));
      ok(await os('image', 'unset', '--property', 'team', '--tag', 'alpha', imageId));
      const img = okJson(await os('image', 'show', '-f', 'json', imageId));
      expect(img).toMatchObject({ name: 'osc-img-2', min_disk: 3, status: 'active' });
      expect(img.properties).toMatchObject({ build: '43', stage: 'prod' });
      expect(img.properties).not.toHaveProperty('team');
      expect([...img.tags].sort()).toEqual(['beta', 'gamma']);
      const raw = (await api('GET', `/v2/images/${imageId}`)).json();
      expect(raw).toMatchObject({ name: 'osc-img-2', build: '43', stage: 'prod', min_disk: 3 });
      expect(raw).not.toHaveProperty('team');
    });

    it('image save equals the source file (md5 and sha512)', async () => {
      const out = path.join(work, 'saved.img');
      ok(await os('image', 'save', '--file', out, imageId));
      const got = readFileSync(out);
      expect(got.length).toBe(SIZE);
      expect(md5(got)).toBe(srcHash.md5);
      expect(sha512(got)).toBe(srcHash.sha512);
    });

    it('members: add project, member list, accept as the member (curl)', async () => {
      const m = okJson(await os('image', 'add', 'project', '-f', 'json', imageId, MEMBER.project));
      expect(m).toMatchObject({ image_id: imageId, member_id: MEMBER.project, status: 'pending' });
      expect(okJson(await os('image', 'member', 'list', '-f', 'json', imageId))).toEqual([
        { 'Image ID': imageId, 'Member ID': MEMBER.project, Status: 'pending' },
      ]);
      const code = await curlAs(MEMBER.headers, ['-X', 'PUT', '-H', 'Content-Type: application/json', '-d', '{"status": "accepted"}',
        `${t.url}/v2/images/${imageId}/members/${MEMBER.project}`]);
      expect(code).toBe(200);
      expect(okJson(await os('image', 'member', 'list', '-f', 'json', imageId))).toEqual([
        { 'Image ID': imageId, 'Member ID': MEMBER.project, Status: 'accepted' },
      ]);
    });

    it('deactivate refuses non-admin download; activate restores it', async () => {
      ok(await os('image', 'set', '--deactivate', imageId));
      expect(okJson(await os('image', 'show', '-f', 'json', imageId)).status).toBe('deactivated');
      expect(await curlAs(MEMBER.headers, [`${t.url}/v2/images/${imageId}/file`])).toBe(403);
      const out = path.join(work, 'admin-deactivated.img');
      ok(await os('image', 'save', '--file', out, imageId)); // admin may download
      expect(md5(readFileSync(out))).toBe(srcHash.md5);
      ok(await os('image', 'set', '--activate', imageId));
      expect(okJson(await os('image', 'show', '-f', 'json', imageId)).status).toBe('active');
      expect(await curlAs(MEMBER.headers, [`${t.url}/v2/images/${imageId}/file`])).toBe(200);
    });

    it('member removal (curl: OSC resolves the project through Keystone), image delete; gone', async () => {
      const rm = await run(CURL, ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'DELETE', ...curlHeaders(t.admin),
        `${t.url}/v2/images/${imageId}/members/${MEMBER.project}`]);
      expect(rm.stdout).toBe('204');
      expect(okJson(await os('image', 'member', 'list', '-f', 'json', imageId))).toEqual([]);
      ok(await os('image', 'delete', imageId));
      const show = await os('image', 'show', imageId);
      expect(show.code).toBe(1);
      expect(show.stderr).toMatch(/No Image found for|ResourceNotFound|404/i);
      expect((await api('GET', `/v2/images/${imageId}`)).status).toBe(404);
      expect(ids(okJson(await os('image', 'list', '--name', 'osc-img-2', '-f', 'json')))).toEqual([]);
    });
  });
}
