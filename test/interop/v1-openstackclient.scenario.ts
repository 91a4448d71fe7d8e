/**
 * python-openstackclient 6.0 (Debian), image API **v1**, against a real gateway process:
 * `openstack --os-image-api-version 1 --os-auth-type admin_token --os-token TOKEN --os-endpoint URL/v1`
 * as the target's admin caller. Upstream mode: deleted images are 404 for admins too (spec v1 7.3).
 * OSC delegates to openstacksdk's image v1 proxy, which sends JSON metadata bodies and downloads
 * from /v1/images/{id}/file (spec v1 §8.4 compatibility extensions).
 * Client quirks (spec clients.md): `image create --file` exits 1 with a `to_dict` error after a
 * successful upload, so the result is verified with `image show`; `image create/set` without
 * --file run under a pseudo-terminal (stdin would be read as image data).
 * Queued images cannot be found by id through the SDK (GET /v1/images/{id} is 404 for them, as
 * in real v1), so commands address images by name.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeRun, tempDir } from './gateway.js';
import { md5, randomFile } from './http.js';
import { okJson, ok } from './clients.js';
import type { Target } from './target.js';
import { openstack1, v1Head, v1Usage } from './v1-helpers.js';

const SIZE = 2 * 1024 * 1024 + 999;

/** Properties as OSC shows them, without the keys the SDK itself packs into `properties`. */
function userProps(p: Record<string, unknown>): Record<string, unknown> {
  const out = { ...p };
  // The SDK's v1 Image resource does not know these fields of the v1 representation, so it
  // moves them into `properties` when it reads an image (client-side; not server data).
  for (const k of ['deleted', 'deleted_at', 'virtual_size']) delete out[k];
  return out;
}

export function openstackclientV1Scenario(target: () => Target): void {
  describe('openstackclient image v1', () => {
    let t: Target;
    let work: string;
    let src: string;
    let srcMd5 = '';
    let emptyId = '';
    let fileId = '';
    const TAG = randomUUID().slice(0, 6);
    const N_EMPTY = `osc1-empty-${TAG}`;
    const N_FILE = `osc1-file-${TAG}`;
    const N_RENAMED = `osc1-renamed-${TAG}`;
    const osc = (args: string[], tty = false) => openstack1(t.url, args, { tty, token: t.token });
    const head = (id: string, headers?: Record<string, string>) => v1Head(t.url, id, headers ?? t.admin);

    beforeAll(async () => {
      t = target();
      work = tempDir('osc1');
      src = path.join(work, 'source.img');
      srcMd5 = (await randomFile(src, SIZE)).md5;
    });

    it('image create without --file reserves a queued image', async () => {
      const d = okJson(
        await osc(
          ['image', 'create', N_EMPTY, '--disk-format', 'qcow2', '--container-format', 'bare', '--min-ram', '64', '--property', 'p=q', '-f', 'json'],
          true,
        ),
      );
      emptyId = d.id;
      expect(emptyId).toMatch(/^[0-9a-f-]{36}$/);
      expect(d).toMatchObject({
        name: N_EMPTY, disk_format: 'qcow2', container_format: 'bare', min_ram: 64, min_disk: 0, size: 0, owner: t.adminProject,
        is_public: false, protected: false,
      });
      expect(userProps(d.properties)).toEqual({ p: 'q', 'owner_specified.openstack.object': `images/${N_EMPTY}` });
      const h = await head(emptyId);
      expect(h.fields).toMatchObject({ name: N_EMPTY, status: 'queued', size: '0', min_ram: '64', disk_format: 'qcow2' });
      expect(h.fields).not.toHaveProperty('checksum');
      expect(h.props).toEqual({ p: 'q', 'owner_specified.openstack.object': `images/${N_EMPTY}` });
    });

    it('image create --file --public uploads (exit status ignored: to_dict client bug); image show verifies', async () => {
      const r = await osc([
        'image', 'create', N_FILE, '--file', src, '--disk-format', 'raw', '--container-format', 'bare', '--property', 'p=f', '--public',
      ]);
      if (r.code !== 0) expect(r.stdout + r.stderr, describeRun(r)).toContain('to_dict');
      const d = okJson(await osc(['image', 'show', N_FILE, '-f', 'json']));
      fileId = d.id;
      expect(fileId).toMatch(/^[0-9a-f-]{36}$/);
      expect(d).toMatchObject({
        name: N_FILE, disk_format: 'raw', container_format: 'bare', size: SIZE, is_public: true, protected: false, owner: t.adminProject,
        min_disk: 0, min_ram: 0,
      });
      expect(userProps(d.properties)).toEqual({ p: 'f', 'owner_specified.openstack.object': `images/${N_FILE}` });
      const h = await head(fileId);
      expect(h.fields).toMatchObject({ name: N_FILE, status: 'active', size: String(SIZE), checksum: srcMd5, is_public: 'True' });
      expect(h.props).toEqual({ p: 'f', 'owner_specified.openstack.object': `images/${N_FILE}` });
      // Exactly one image of that name (no half-made leftovers from the two-step create).
      const named = okJson(await osc(['image', 'list', '-f', 'json'])).filter((i: { Name: string }) => i.Name === N_FILE);
      expect(named).toHaveLength(1);
    });

    it('image list (short and --long)', async () => {
      const short = okJson(await osc(['image', 'list', '-f', 'json']));
      expect(short).toEqual(
        expect.arrayContaining([
          { ID: emptyId, Name: N_EMPTY, Status: 'queued' },
          { ID: fileId, Name: N_FILE, Status: 'active' },
        ]),
      );
      const long = okJson(await osc(['image', 'list', '--long', '-f', 'json']));
      const f = long.find((i: { ID: string }) => i.ID === fileId);
      expect(f).toMatchObject({
        Name: N_FILE, 'Disk Format': 'raw', 'Container Format': 'bare', Size: SIZE, Checksum: srcMd5, Status: 'active',
        Visibility: true, Protected: false, Project: t.adminProject, // -f json prints is_public raw
      });
      expect(userProps(f.Properties)).toEqual({ p: 'f', 'owner_specified.openstack.object': `images/${N_FILE}` });
      const e = long.find((i: { ID: string }) => i.ID === emptyId);
      expect(e).toMatchObject({
        Name: N_EMPTY, 'Disk Format': 'qcow2', 'Container Format': 'bare', Size: 0, Checksum: null, Status: 'queued', Visibility: false,
      });
    });

    it('image show of the queued image (by name)', async () => {
      const d = okJson(await osc(['image', 'show', N_EMPTY, '-f', 'json']));
      expect(d).toMatchObject({ id: emptyId, name: N_EMPTY, disk_format: 'qcow2', min_ram: 64, size: 0, is_public: false });
      expect(userProps(d.properties)).toEqual({ p: 'q', 'owner_specified.openstack.object': `images/${N_EMPTY}` });
    });

    it('image set --name --min-disk', async () => {
      ok(await osc(['image', 'set', '--name', N_RENAMED, '--min-disk', '3', N_FILE], true));
      const d = okJson(await osc(['image', 'show', N_RENAMED, '-f', 'json']));
      expect(d).toMatchObject({ id: fileId, name: N_RENAMED, min_disk: 3, size: SIZE, is_public: true });
      const h = await head(fileId);
      expect(h.fields).toMatchObject({ name: N_RENAMED, min_disk: '3', status: 'active', checksum: srcMd5 });
      expect(h.props).toEqual({ p: 'f', 'owner_specified.openstack.object': `images/${N_FILE}` });
    });

    it('image set --property (active and queued image)', async () => {
      // OSC merges the new properties into the image's current `properties` and sends them all
      // back as JSON, including the v1 fields the SDK packed there (deleted, deleted_at, virtual_size).
      // Those are fields of the v1 representation, not properties: a JSON update must not refuse
      // them (403 "Property 'deleted' is protected" is the failure this step guards against).
      const r = await osc(['image', 'set', '--property', 'p=g', '--property', 'n=1', N_RENAMED], true);
      expect(r.code, describeRun(r)).toBe(0);
      const h = await head(fileId);
      expect(h.props).toEqual({ p: 'g', n: '1', 'owner_specified.openstack.object': `images/${N_FILE}` });
      expect(h.fields).toMatchObject({ name: N_RENAMED, min_disk: '3', status: 'active', size: String(SIZE) });
      const d = okJson(await osc(['image', 'show', N_RENAMED, '-f', 'json']));
      expect(userProps(d.properties)).toEqual({ p: 'g', n: '1', 'owner_specified.openstack.object': `images/${N_FILE}` });

      const q = await osc(['image', 'set', '--property', 'z=9', N_EMPTY], true);
      expect(q.code, describeRun(q)).toBe(0);
      expect((await head(emptyId)).props).toEqual({ p: 'q', z: '9', 'owner_specified.openstack.object': `images/${N_EMPTY}` });
    });

    it('image save equals the source (md5)', async () => {
      const out = path.join(work, 'saved.img');
      ok(await osc(['image', 'save', '--file', out, N_RENAMED]));
      const got = readFileSync(out);
      expect(got.length).toBe(SIZE);
      expect(md5(got)).toBe(srcMd5);
    });

    it('image delete (both images); show then fails; HEAD 404 for others, deleted for admin (upstream: 404)', async () => {
      expect((await head(fileId, t.who('x').headers)).status).toBe(200); // public until deleted
      const r = await osc(['image', 'delete', N_RENAMED, N_EMPTY]);
      expect(r.code, describeRun(r)).toBe(0);
      expect(r.stdout.trim()).toBe('');
      for (const id of [fileId, emptyId]) {
        expect((await head(id, t.who('x').headers)).status).toBe(404);
        const h = await head(id);
        if (t.upstream) expect(h.status).toBe(404); // v2 shows no deleted images (spec v1 7.3)
        else expect(h.fields).toMatchObject({ id, status: 'deleted', deleted: 'True' });
      }
      const shown = await osc(['image', 'show', N_RENAMED, '-f', 'json']);
      expect(shown.code).not.toBe(0);
      const ids = okJson(await osc(['image', 'list', '-f', 'json'])).map((i: { ID: string }) => i.ID);
      expect(ids).not.toContain(fileId);
      expect(ids).not.toContain(emptyId);
    });

    it('/v1-usage records the openstackclient/openstacksdk calls', async () => {
      const usage = await v1Usage(t.url, t.admin);
      // OSC's image v1 calls go through the SDK session, whose User-Agent names openstacksdk.
      const sdk = usage.filter((u) => u.client === 'openstackclient' || u.client === 'openstacksdk');
      const routes = new Set(sdk.map((u) => u.route));
      for (const route of ['POST /v1/images', 'PUT /v1/images/{id}', 'GET /v1/images/detail', 'GET /v1/images/{id}/file', 'DELETE /v1/images/{id}']) {
        expect(routes, `route ${route} in ${JSON.stringify(sdk)}`).toContain(route);
      }
    });
  });
}
