/**
 * openstacksdk 0.101 (Debian) image v2 scenario (sdk_scenario.py) against a real gateway process.
 * The script records each step's outcome; this file asserts the values.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PY, describeRun, runClient, tempDir } from './gateway.js';
import { randomFile, request } from './http.js';
import { SDK_SCENARIO } from './clients.js';
import type { Target } from './target.js';

const SIZE = 1024 * 1024 + 4321;

export function openstacksdkV2Scenario(target: () => Target): void {
  describe('openstacksdk image v2', () => {
    let t: Target;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let obs: Record<string, { ok: boolean; value?: any; status?: number | null; error?: string }>;
    let srcHash: { md5: string; sha512: string };
    let MEMBER = '';
    const value = (k: string) => {
      const o = obs[k];
      expect(o, `step ${k} missing`).toBeDefined();
      expect(o!.ok, `step ${k}: ${JSON.stringify(o)}`).toBe(true);
      return o!.value;
    };

    beforeAll(async () => {
      t = target();
      const member = t.who('m');
      MEMBER = member.project;
      const src = path.join(tempDir('sdk'), 'source.img');
      srcHash = await randomFile(src, SIZE);
      const env: Record<string, string> = t.auth === 'keystone' ? { GG_AS_TOKEN: t.token, GG_MEMBER_TOKEN: member.token ?? '' } : {};
      const r = await runClient(PY, [SDK_SCENARIO, t.url, src, MEMBER], { timeoutMs: 240_000, env });
      if (r.code !== 0) throw new Error(`sdk_scenario.py failed: ${describeRun(r)}`);
      obs = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
    });

    it('create_image uploads with PUT and the image reads back', () => {
      const img = value('create');
      expect(img).toMatchObject({
        name: 'sdk-img', status: 'active', visibility: 'shared', size: SIZE, checksum: srcHash.md5,
        hash_algo: 'sha512', hash_value: srcHash.sha512, disk_format: 'raw', container_format: 'bare',
        owner_id: t.adminProject, min_ram: 0, is_protected: false, tags: ['alpha', 'sdk'],
      });
      // create_image records the file hashes as properties; `build` came in as a kwarg.
      expect(img.properties).toMatchObject({ build: '7', 'owner_specified.openstack.md5': srcHash.md5 });
    });

    it('list by tag, name and status', () => {
      const id = value('create').id;
      expect(value('list_tag')).toEqual([id]);
      expect(value('list_name')).toEqual([id]);
      expect(value('list_status')).toEqual([id]);
      expect(value('list_queued')).toEqual([]);
    });

    it('update, add_tag and remove_tag', () => {
      const u = value('update');
      expect(u).toMatchObject({ min_ram: 64, status: 'active' });
      expect(u.properties).toMatchObject({ build: '8', extra: 'x' });
      value('add_tag');
      value('remove_tag');
      expect(value('after_tags')).toEqual(['gamma', 'sdk']);
    });

    it('download_image matches the source (SDK also checks Content-MD5)', () => {
      expect(value('download')).toEqual({ size: SIZE, ...srcHash });
    });

    it('members: add, member-side accept through session headers', () => {
      const id = value('create').id;
      expect(value('member_add')).toBe('pending');
      expect(value('member_list_pending')).toEqual([[MEMBER, 'pending']]);
      expect(value('member_side_list_before')).not.toContain(id);
      expect(value('member_accept')).toBe('accepted');
      expect(value('member_side_list_after')).toEqual([id]);
      expect(value('member_list_accepted')).toEqual([[MEMBER, 'accepted']]);
    });

    it('deactivate: member download 403, admin download works; reactivate', () => {
      value('deactivate');
      expect(value('status_deactivated')).toBe('deactivated');
      expect(obs.member_download_deactivated?.ok).toBe(false);
      expect(value('member_download_deactivated_http')).toBe(403);
      expect(value('admin_download_deactivated')).toEqual({ size: SIZE, ...srcHash });
      value('reactivate');
      expect(value('status_reactivated')).toBe('active');
      expect(value('member_download')).toEqual({ size: SIZE, ...srcHash });
    });

    it('delete_image; the image is gone', async () => {
      value('delete');
      expect(obs.get_deleted).toMatchObject({ ok: false, status: 404 });
      const r = await request(t.url, 'GET', `/v2/images/${value('create').id}`, { headers: t.admin });
      expect(r.status).toBe(404);
    });
  });
}
