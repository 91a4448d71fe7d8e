/**
 * openstacksdk 0.101 (Debian) image **v1** proxy against a real gateway process, driven by
 * v1_sdk_scenario.py with `Connection(auth_type='admin_token', auth={'endpoint': URL + '/v1', ...},
 * image_api_version='1')`: create_image without and with data, find_image, update_image,
 * images, download_image, delete_image (spec v1 §8.4). The script records every step; this file
 * asserts the values and checks the server side over raw v1 HTTP. Upstream mode: deleted images
 * are 404 for admins too (spec v1 7.3).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PY, describeRun, runClient, tempDir } from './gateway.js';
import { randomFile } from './http.js';
import type { Target } from './target.js';
import { V1_TIME, v1Head, v1Usage } from './v1-helpers.js';

const SCRIPT = path.join(path.dirname(new URL(import.meta.url).pathname), 'v1_sdk_scenario.py');
const SIZE = 2 * 1024 * 1024 + 12345;

interface Step {
  ok: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  value?: any;
  status?: number | null;
  error?: string;
}

/** SDK-side `properties`, without the v1 fields the SDK's Image resource packs there itself. */
function userProps(p: Record<string, unknown>): Record<string, unknown> {
  const out = { ...p };
  for (const k of ['deleted', 'deleted_at', 'virtual_size']) delete out[k];
  return out;
}

export function openstacksdkV1Scenario(target: () => Target): void {
  describe('openstacksdk image v1 proxy', () => {
    let t: Target;
    let srcMd5 = '';
    let ids: { reserve: string; upload: string };
    let obs: Record<string, Step>;
    /** Server-side v1 views of the deleted images (embedded: tombstones). */
    const before: Record<string, Awaited<ReturnType<typeof v1Head>>> = {};
    const TAG = randomUUID().slice(0, 6);
    const value = (name: string) => {
      const s = obs[name];
      if (!s?.ok) throw new Error(`step ${name} failed: ${JSON.stringify(s)}`);
      return s.value;
    };

    beforeAll(async () => {
      t = target();
      const work = tempDir('sdk1');
      const file = path.join(work, 'source.img');
      srcMd5 = (await randomFile(file, SIZE)).md5;
      const r = await runClient(PY, [SCRIPT, t.url, file, TAG], { timeoutMs: 240_000, env: { GG_AS_TOKEN: t.token } });
      if (r.code !== 0) throw new Error(`v1_sdk_scenario.py failed: ${describeRun(r)}`);
      const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
      ids = out.ids;
      obs = out.obs;
    });

    it('create_image without data reserves a queued image (JSON metadata body)', () => {
      const v = value('create');
      expect(v).toMatchObject({
        id: ids.reserve, name: `sdk1-reserve-${TAG}`, status: 'queued', size: 0, checksum: null, disk_format: 'qcow2',
        container_format: 'bare', min_ram: 32, min_disk: 0, is_public: false, owner: t.adminProject,
      });
      expect(ids.reserve).toMatch(/^[0-9a-f-]{36}$/);
      expect(userProps(v.properties)).toEqual({ purpose: 'reserve', 'owner_specified.openstack.object': `images/sdk1-reserve-${TAG}` });
    });

    it('create_image with data: POST JSON, then PUT the raw file (no Content-Type) -> active', () => {
      const v = value('upload');
      expect(v).toMatchObject({
        id: ids.upload, name: `sdk1-upload-${TAG}`, status: 'active', size: SIZE, checksum: srcMd5, disk_format: 'raw',
        container_format: 'bare', is_public: false, owner: t.adminProject,
      });
      expect(userProps(v.properties)).toEqual({ stage: 'upload', 'owner_specified.openstack.object': `images/sdk1-upload-${TAG}` });
    });

    it('find_image: by name finds both; by id only the active one (v1: GET of a queued image is 404)', () => {
      expect(value('find_by_name')).toMatchObject({ id: ids.upload, status: 'active', size: SIZE, checksum: srcMd5 });
      expect(value('find_active_by_id')).toBe(ids.upload);
      expect(value('find_queued_by_id')).toBeNull();
      const q = value('find_queued_by_name');
      expect(q).toMatchObject({ id: ids.reserve, status: 'queued', min_ram: 32, disk_format: 'qcow2' });
    });

    it('update_image renames (JSON PUT); nothing else changes', () => {
      const v = value('update');
      expect(v).toMatchObject({ id: ids.upload, name: `sdk1-renamed-${TAG}`, status: 'active', size: SIZE, checksum: srcMd5 });
      expect(userProps(v.properties)).toEqual({ stage: 'upload', 'owner_specified.openstack.object': `images/sdk1-upload-${TAG}` });
    });

    it('images() lists both with their values; name and status filters', () => {
      const list = value('list') as { id: string }[];
      expect(list.map((i) => i.id).sort()).toEqual([ids.reserve, ids.upload].sort());
      const up = list.find((i) => i.id === ids.upload) as Record<string, unknown>;
      expect(up).toMatchObject({
        name: `sdk1-renamed-${TAG}`, status: 'active', size: SIZE, checksum: srcMd5, disk_format: 'raw', container_format: 'bare',
        min_ram: 0, min_disk: 0, is_public: false, owner: t.adminProject,
      });
      expect((up.properties as Record<string, unknown>).virtual_size).toBe(SIZE); // raw: virtual size = bytes
      expect(userProps(up.properties as Record<string, unknown>)).toEqual({
        stage: 'upload', 'owner_specified.openstack.object': `images/sdk1-upload-${TAG}`,
      });
      const res = list.find((i) => i.id === ids.reserve) as Record<string, unknown>;
      expect(res).toMatchObject({ name: `sdk1-reserve-${TAG}`, status: 'queued', size: 0, checksum: null, min_ram: 32 });
      expect(value('list_by_name')).toEqual([ids.upload]);
      expect(value('list_by_status')).toEqual([ids.reserve]);
    });

    it('download_image equals the source (md5), in memory and to a file', () => {
      expect(value('download')).toEqual({ size: SIZE, md5: srcMd5 });
      expect(value('download_output')).toEqual({ size: SIZE, md5: srcMd5 });
    });

    it('delete_image: both deleted; a second delete is 404 (ResourceNotFound), ignored with ignore_missing; admin HEAD: tombstone (upstream: 404)', async () => {
      expect(obs.delete_upload).toEqual({ ok: true, value: null });
      expect(obs.delete_reserve).toEqual({ ok: true, value: null });
      expect(obs.delete_again).toMatchObject({ ok: false, status: 404 });
      expect(obs.delete_again_ignored).toEqual({ ok: true, value: null });
      expect(value('find_after_delete')).toBeNull();
      expect(value('list_after_delete')).toEqual([]);
      for (const id of [ids.upload, ids.reserve]) {
        expect((await v1Head(t.url, id, t.who('x').headers)).status).toBe(404);
        expect((await v1Head(t.url, id, t.who('admin', 'member').headers)).status).toBe(404);
        const h = await v1Head(t.url, id, t.admin);
        if (t.upstream) {
          expect(h.status).toBe(404); // v2 shows no deleted images (spec v1 7.3)
          continue;
        }
        expect(h.status).toBe(200);
        expect(h.fields).toMatchObject({ id, status: 'deleted', deleted: 'True' });
        expect(h.fields.deleted_at).toMatch(V1_TIME);
        before[id] = h;
      }
      if (!t.upstream) {
        expect(before[ids.upload]!.fields).toMatchObject({ name: `sdk1-renamed-${TAG}`, checksum: srcMd5, size: String(SIZE) });
      }
    });

    it('/v1-usage attributes the calls to openstacksdk', async () => {
      const sdk = (await v1Usage(t.url, t.admin)).filter((u) => u.client === 'openstacksdk');
      expect(sdk.every((u) => u.version === '0.101.0' && u.project === t.adminProject)).toBe(true);
      const routes = new Set(sdk.map((u) => u.route));
      for (const route of [
        'POST /v1/images', 'PUT /v1/images/{id}', 'GET /v1/images/{id}', 'GET /v1/images/detail', 'GET /v1/images/{id}/file',
        'DELETE /v1/images/{id}',
      ]) {
        expect(routes, `route ${route} in ${JSON.stringify(sdk)}`).toContain(route);
      }
      expect(sdk.find((u) => u.route === 'POST /v1/images')!.count).toBe(2);
      expect(sdk.find((u) => u.route === 'DELETE /v1/images/{id}')!.count).toBe(4);
    });
  });
}
