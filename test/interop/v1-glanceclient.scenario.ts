/**
 * python-glanceclient 4.1 (Debian) CLI, image API **v1**, against a real gateway process:
 * `glance --os-image-api-version 1 --os-image-url URL --os-auth-token TOKEN ...` as the target's
 * admin caller (noauth: no identity headers = admin in project `admin`; keystone: an admin token);
 * other projects' views are read with raw HTTP as the target's other callers.
 * Client quirks worked around (spec clients.md): image-create/-update run under a pseudo-terminal
 * (`script -qec`), image-delete exits 0 even when refused (its output is checked).
 * copy-from reads from a local fixture server: the gateway must allow it
 * (GLANCE_GATEWAY_FETCH_ALLOW/_PORTS; in upstream mode Glance's web-download may fetch it).
 * Upstream mode (spec v1-api.md 7.3): deleted images are gone for admins too (404, no tombstone).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, tempDir } from './gateway.js';
import { md5, randomFile, request } from './http.js';
import { ok, parseDict, parseList } from './clients.js';
import type { Target } from './target.js';
import { V1_TIME, glance1, pollUntil, startFixture, v1Head, v1Props, v1Usage, type Fixture } from './v1-helpers.js';

const SIZE = 3 * 1024 * 1024 + 4321;
const FIX_SIZE = 1024 * 1024 + 777;

export function glanceclientV1Scenario(target: () => Target): void {
  describe('glanceclient v1 CLI', () => {
    let t: Target;
    let fixture: Fixture;
    let work: string;
    let src: string;
    let srcMd5 = '';
    let fileId = '';
    let copyId = '';
    let reserveId = '';
    const TAG = randomUUID().slice(0, 6);
    const N_FILE = `gc1-file-${TAG}`;
    const N_COPY = `gc1-copy-${TAG}`;
    const N_RESERVE = `gc1-reserve-${TAG}`;
    const N_PROT = `gc1-prot-${TAG}`;
    const glance = (args: string[], tty = false) => glance1(t.url, args, { tty, token: t.token });
    const head = (id: string, headers?: Record<string, string>) => v1Head(t.url, id, headers ?? t.admin);
    const listIds = async (args: string[]): Promise<string[]> =>
      parseList(ok(await glance(['image-list', ...args])).stdout).map((r) => r.ID ?? '');

    beforeAll(async () => {
      t = target();
      fixture = await startFixture(randomBytes(FIX_SIZE));
      work = tempDir('gc1');
      src = path.join(work, 'source.img');
      srcMd5 = (await randomFile(src, SIZE)).md5;
    });

    afterAll(async () => {
      await fixture?.close();
    });

    it('image-create --file with properties, --is-public True and formats', async () => {
      const r = ok(
        await glance(
          ['image-create', '--name', N_FILE, '--file', src, '--property', 'k=v', '--property', 'team=infra',
            '--is-public', 'True', '--disk-format', 'raw', '--container-format', 'bare'],
          true,
        ),
      );
      const d = parseDict(r.stdout);
      fileId = d.id ?? '';
      expect(fileId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(d).toMatchObject({
        name: N_FILE, status: 'active', size: String(SIZE), checksum: srcMd5, disk_format: 'raw', container_format: 'bare',
        is_public: 'True', protected: 'False', deleted: 'False', deleted_at: 'None', owner: t.adminProject, min_ram: '0', min_disk: '0',
      });
      expect(d.created_at).toMatch(V1_TIME);
      expect(d.updated_at).toMatch(V1_TIME);
      expect(v1Props(d)).toEqual({ k: 'v', team: 'infra' });
      // The server's own v1 view agrees.
      const h = await head(fileId);
      expect(h.status).toBe(200);
      expect(h.fields).toMatchObject({
        id: fileId, name: N_FILE, status: 'active', size: String(SIZE), checksum: srcMd5, is_public: 'True',
        disk_format: 'raw', container_format: 'bare', owner: t.adminProject, deleted: 'False', protected: 'False',
      });
      expect(h.fields).not.toHaveProperty('location');
      expect(h.props).toEqual({ k: 'v', team: 'infra' });
      expect(h.etag).toBe(srcMd5);
      // Public: another project sees it.
      expect((await head(fileId, t.who('x').headers)).fields.is_public).toBe('True');
      if (t.upstream) {
        // The image lives in the real Glance behind the gateway.
        const g = await request(t.upstream.url, 'GET', `/v2/images/${fileId}`, { headers: t.upstream.admin });
        expect(g.json()).toMatchObject({
          id: fileId, name: N_FILE, status: 'active', size: SIZE, checksum: srcMd5, visibility: 'public', owner: t.adminProject,
          k: 'v', team: 'infra',
        });
      }
    });

    it('image-create --copy-from a local HTTP server; image-show polls to active; checksum matches', async () => {
      const url = `http://127.0.0.1:${fixture.port}/file`;
      const r = ok(
        await glance(
          ['image-create', '--name', N_COPY, '--disk-format', 'qcow2', '--container-format', 'bare', '--property', 'src=copy',
            '--copy-from', url],
          true,
        ),
      );
      const d = parseDict(r.stdout);
      copyId = d.id ?? '';
      expect(copyId).toMatch(/^[0-9a-f-]{36}$/);
      expect(d).toMatchObject({ name: N_COPY, disk_format: 'qcow2', container_format: 'bare', is_public: 'False', owner: t.adminProject });
      expect(['queued', 'saving', 'active']).toContain(d.status);
      expect(v1Props(d)).toEqual({ src: 'copy' });

      const shown = await pollUntil('copy-from image to become active', async () => {
        const s = parseDict(ok(await glance(['image-show', copyId])).stdout);
        if (s.status === 'killed') throw new Error(`copy-from image killed:\n${JSON.stringify(s)}`);
        return s.status === 'active' ? s : undefined;
      });
      expect(shown).toMatchObject({
        id: copyId, name: N_COPY, status: 'active', size: String(FIX_SIZE), checksum: fixture.md5,
        disk_format: 'qcow2', container_format: 'bare', is_public: 'False',
      });
      expect(v1Props(shown)).toEqual({ src: 'copy' });
      expect(fixture.requests.filter((q) => q.method === 'GET' && q.url === '/file').length).toBeGreaterThanOrEqual(1);
      // The source URL is never exposed (location is write-only in v1).
      const detail = (await request(t.url, 'GET', `/v1/images/detail?name=${N_COPY}`, { headers: t.admin })).text;
      expect(detail).not.toContain(String(fixture.port));
    });

    it('image-create without data reserves a queued image', async () => {
      const d = parseDict(
        ok(await glance(['image-create', '--name', N_RESERVE, '--disk-format', 'raw', '--container-format', 'bare', '--min-ram', '32'], true))
          .stdout,
      );
      reserveId = d.id ?? '';
      expect(d).toMatchObject({ name: N_RESERVE, status: 'queued', size: '0', checksum: 'None', min_ram: '32', is_public: 'False' });
      expect(v1Props(d)).toEqual({});
    });

    it('image-list with --name, --property-filter, --status and --size-min', async () => {
      const all = parseList(ok(await glance(['image-list'])).stdout);
      const row = all.find((r) => r.ID === fileId);
      expect(row).toEqual({
        ID: fileId, Name: N_FILE, 'Disk Format': 'raw', 'Container Format': 'bare', Size: String(SIZE), Status: 'active',
      });
      expect(all.find((r) => r.ID === copyId)).toMatchObject({ Name: N_COPY, Size: String(FIX_SIZE), Status: 'active' });
      expect(all.find((r) => r.ID === reserveId)).toMatchObject({ Name: N_RESERVE, Status: 'queued' });
      // glanceclient sorts by name asc.
      expect(all.map((r) => r.Name)).toEqual([...all.map((r) => r.Name)].sort());

      expect(await listIds(['--name', N_FILE])).toEqual([fileId]);
      expect(await listIds(['--name', `no-such-${TAG}`])).toEqual([]);
      expect(await listIds(['--property-filter', 'k=v'])).toEqual([fileId]);
      expect(await listIds(['--property-filter', 'src=copy'])).toEqual([copyId]);
      expect(await listIds(['--property-filter', 'k=other'])).toEqual([]);
      expect(await listIds(['--status', 'queued', '--name', N_RESERVE])).toEqual([reserveId]);
      expect(await listIds(['--status', 'active', '--name', N_RESERVE])).toEqual([]);
      expect(await listIds(['--size-min', String(SIZE)])).toEqual([fileId]);
      expect(await listIds(['--size-min', String(SIZE + 1)])).toEqual([]);
      // Two active images of at least FIX_SIZE bytes, in name order (copy < file).
      expect(await listIds(['--status', 'active', '--size-min', String(FIX_SIZE)])).toEqual([copyId, fileId]);
    });

    it('image-show reads every value back', async () => {
      const d = parseDict(ok(await glance(['image-show', fileId])).stdout);
      expect(d).toMatchObject({
        id: fileId, name: N_FILE, status: 'active', size: String(SIZE), checksum: srcMd5, disk_format: 'raw',
        container_format: 'bare', is_public: 'True', protected: 'False', deleted: 'False', owner: t.adminProject, min_ram: '0', min_disk: '0',
      });
      expect(d.created_at).toMatch(V1_TIME);
      expect(v1Props(d)).toEqual({ k: 'v', team: 'infra' });
      // HEAD carries no deleted_at for a live image.
      expect(d).not.toHaveProperty('deleted_at');
    });

    it('image-update: name, min-ram and --property (merge), then --purge-props', async () => {
      const renamed = `${N_FILE}-renamed`;
      const d = parseDict(
        ok(
          await glance(['image-update', fileId, '--name', renamed, '--min-ram', '64', '--property', 'k=v2', '--property', 'extra=e'], true),
        ).stdout,
      );
      expect(d).toMatchObject({ id: fileId, name: renamed, min_ram: '64', status: 'active', size: String(SIZE), checksum: srcMd5 });
      expect(v1Props(d)).toEqual({ k: 'v2', team: 'infra', extra: 'e' });
      let h = await head(fileId);
      expect(h.fields).toMatchObject({ name: renamed, min_ram: '64', is_public: 'True' });
      expect(h.props).toEqual({ k: 'v2', team: 'infra', extra: 'e' });

      const p = parseDict(ok(await glance(['image-update', fileId, '--property', 'only=1', '--purge-props'], true)).stdout);
      expect(p).toMatchObject({ id: fileId, name: renamed, min_ram: '64', checksum: srcMd5 });
      expect(v1Props(p)).toEqual({ only: '1' });
      h = await head(fileId);
      expect(h.props).toEqual({ only: '1' });
      expect(h.fields).toMatchObject({ name: renamed, min_ram: '64', status: 'active', size: String(SIZE), checksum: srcMd5 });
      expect(await listIds(['--property-filter', 'only=1'])).toEqual([fileId]);
      expect(await listIds(['--property-filter', 'k=v2'])).toEqual([]);
    });

    it('image-download equals the source (md5), for the uploaded and the copied image (upstream: Glance holds the same bytes)', async () => {
      const out = path.join(work, 'download.img');
      ok(await glance(['image-download', '--file', out, fileId]));
      const got = readFileSync(out);
      expect(got.length).toBe(SIZE);
      expect(md5(got)).toBe(srcMd5);

      const out2 = path.join(work, 'download-copy.img');
      ok(await glance(['image-download', '--file', out2, copyId]));
      const got2 = readFileSync(out2);
      expect(got2.length).toBe(FIX_SIZE);
      expect(md5(got2)).toBe(fixture.md5);
      expect(got2.equals(fixture.data)).toBe(true);
      if (t.upstream) {
        // The bytes are Glance's: read back from it directly.
        for (const [id, sum] of [[fileId, srcMd5], [copyId, fixture.md5]] as const) {
          const g = await request(t.upstream.url, 'GET', `/v2/images/${id}/file`, { headers: t.upstream.admin });
          expect(g.status).toBe(200);
          expect(md5(g.body)).toBe(sum);
        }
      }
    });

    it('member-create, member-list (--image-id, --tenant-id), member-delete', async () => {
      const MEMBER_B = t.who('b').project;
      const MEMBER_C = t.who('c').project;
      expect((await head(copyId, t.who('b').headers)).status).toBe(404);
      const c1 = ok(await glance(['member-create', copyId, MEMBER_B]));
      expect(c1.stdout.trim()).toBe('');
      ok(await glance(['member-create', '--can-share', copyId, MEMBER_C]));

      const byImage = parseList(ok(await glance(['member-list', '--image-id', copyId])).stdout);
      // Project ids are opaque (Keystone's are random hex): compare the members in id order.
      expect(byImage.map((m) => [m['Image ID'], m['Member ID']]).sort()).toEqual(
        [
          [copyId, MEMBER_B],
          [copyId, MEMBER_C],
        ].sort(),
      );
      // v2 has no can_share: the gateway reports false for every member (spec v1 §7.1 [L]).
      const raw = (await request(t.url, 'GET', `/v1/images/${copyId}/members`, { headers: t.admin })).json();
      const byId = (a: { member_id: string }, b: { member_id: string }) => a.member_id.localeCompare(b.member_id);
      expect(Object.keys(raw)).toEqual(['members']);
      expect([...raw.members].sort(byId)).toEqual(
        [
          { member_id: MEMBER_B, can_share: false },
          { member_id: MEMBER_C, can_share: false },
        ].sort(byId),
      );

      const byTenant = parseList(ok(await glance(['member-list', '--tenant-id', MEMBER_B])).stdout);
      expect(byTenant.map((m) => [m['Image ID'], m['Member ID']])).toEqual([[copyId, MEMBER_B]]);
      // v1 members see the image at once (no accept step).
      const seen = await head(copyId, t.who('b').headers);
      expect(seen.status).toBe(200);
      expect(seen.fields).toMatchObject({ id: copyId, status: 'active', checksum: fixture.md5 });

      const del = ok(await glance(['member-delete', copyId, MEMBER_B]));
      expect(del.stdout.trim()).toBe('');
      const after = parseList(ok(await glance(['member-list', '--image-id', copyId])).stdout);
      expect(after.map((m) => m['Member ID'])).toEqual([MEMBER_C]);
      expect(parseList(ok(await glance(['member-list', '--tenant-id', MEMBER_B])).stdout)).toEqual([]);
      expect((await head(copyId, t.who('b').headers)).status).toBe(404);
      expect((await head(copyId, t.who('c').headers)).status).toBe(200);

      // Deleting a membership that does not exist fails (404 Membership could not be found).
      const again = await glance(['member-delete', copyId, MEMBER_B]);
      expect(again.code, describeRun(again)).not.toBe(0);
      expect(again.stdout + again.stderr).toMatch(/404/);
    });

    it('image-delete: quiet success, then HEAD 404 for others and status deleted for admin (upstream: 404)', async () => {
      // The public image is visible to another project until it is deleted.
      expect((await head(fileId, t.who('x').headers)).status).toBe(200);
      const r = await glance(['image-delete', fileId, reserveId]);
      expect(r.code, describeRun(r)).toBe(0);
      expect(r.stdout.trim(), describeRun(r)).toBe('');
      expect(r.stderr).not.toMatch(/Unable to delete|HTTP \d{3}/);

      expect((await head(fileId, t.who('x').headers)).status).toBe(404);
      expect((await head(fileId, t.who('admin', 'member').headers)).status).toBe(404);
      if (t.upstream) {
        // v2 never shows deleted images, so neither does v1 over it (spec v1 7.3 [L]).
        for (const id of [fileId, reserveId]) expect((await head(id)).status).toBe(404);
        const shown = await glance(['image-show', fileId]);
        expect(shown.code).not.toBe(0);
        const twice = await glance(['image-delete', fileId]);
        expect(twice.code).not.toBe(0);
        expect(twice.stderr + twice.stdout).toContain(`No image with a name or ID of '${fileId}' exists.`);
      } else {
        for (const id of [fileId, reserveId]) {
          const h = await head(id);
          expect(h.status).toBe(200);
          expect(h.fields).toMatchObject({ id, status: 'deleted', deleted: 'True' });
          expect(h.fields.deleted_at).toMatch(V1_TIME);
        }
        // glanceclient itself sees the tombstone as admin ...
        const shown = parseDict(ok(await glance(['image-show', fileId])).stdout);
        expect(shown).toMatchObject({ id: fileId, status: 'deleted', deleted: 'True' });
        // ... refuses to delete it twice ...
        const twice = await glance(['image-delete', fileId]);
        expect(twice.code).not.toBe(0);
        expect(twice.stderr + twice.stdout).toContain(`No image with an ID of '${fileId}' exists.`);
      }
      // ... and no longer lists either image.
      const ids = await listIds([]);
      expect(ids).not.toContain(fileId);
      expect(ids).not.toContain(reserveId);
      expect(ids).toContain(copyId);
      const data = await request(t.url, 'GET', `/v1/images/${fileId}`, { headers: t.admin });
      expect(data.status).toBe(404);
    });

    it('image-delete of a protected image is refused, yet exits 0 (client quirk): output says so', async () => {
      const d = parseDict(
        ok(await glance(['image-create', '--name', N_PROT, '--disk-format', 'raw', '--container-format', 'bare', '--is-protected', 'True'], true))
          .stdout,
      );
      const id = d.id ?? '';
      expect(d).toMatchObject({ name: N_PROT, protected: 'True', status: 'queued' });
      const r = await glance(['image-delete', id]);
      expect(r.code, describeRun(r)).toBe(0); // glanceclient v1 bug: exit 0 although refused
      expect(r.stdout + r.stderr).toMatch(/403/);
      expect(r.stdout + r.stderr).toContain(`Unable to delete image ${id}`);
      expect((await head(id)).fields).toMatchObject({ status: 'queued', protected: 'True', deleted: 'False' });

      const u = parseDict(ok(await glance(['image-update', id, '--is-protected', 'False'], true)).stdout);
      expect(u.protected).toBe('False');
      const r2 = await glance(['image-delete', id]);
      expect(r2.code).toBe(0);
      expect((r2.stdout + r2.stderr).trim(), describeRun(r2)).toBe('');
      if (t.upstream) expect((await head(id)).status).toBe(404);
      else expect((await head(id)).fields.status).toBe('deleted');
    });

    it('/v1-usage attributes the calls to python-glanceclient', async () => {
      const usage = await v1Usage(t.url, t.admin);
      const gc = usage.filter((u) => u.client === 'python-glanceclient');
      const routes = new Set(gc.map((u) => u.route));
      for (const route of [
        'POST /v1/images',
        'HEAD /v1/images/{id}',
        'GET /v1/images/{id}',
        'PUT /v1/images/{id}',
        'DELETE /v1/images/{id}',
        'GET /v1/images/detail',
        'PUT /v1/images/{id}/members/{member}',
        'GET /v1/images/{id}/members',
        'DELETE /v1/images/{id}/members/{member}',
        'GET /v1/shared-images/{member}',
      ]) {
        expect(routes, `route ${route} in ${JSON.stringify(gc)}`).toContain(route);
      }
      expect(gc.every((u) => u.project === t.adminProject && u.count >= 1)).toBe(true);
      const post = gc.find((u) => u.route === 'POST /v1/images');
      expect(post!.count).toBeGreaterThanOrEqual(4); // file, copy-from, reserve, protected
      // The report itself is admin-only.
      expect((await request(t.url, 'GET', '/v1-usage', { headers: t.who('x').headers })).status).toBe(403);
    });
  });
}
