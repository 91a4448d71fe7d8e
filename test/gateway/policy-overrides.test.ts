import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import type { PolicyOverrides } from '../../src/core/policy.js';
import { startHarness, type Harness } from './harness.js';

const MEMBER = { 'X-Project-Id': 'p-alpha', 'X-User-Id': 'alice', 'X-Roles': 'member' };
const OTHER = { 'X-Project-Id': 'p-beta', 'X-User-Id': 'bob', 'X-Roles': 'member' };
const ADMIN = { 'X-Project-Id': 'p-admin', 'X-User-Id': 'root', 'X-Roles': 'admin' };

const v2Create = (url: string, body: Record<string, unknown>, headers: Record<string, string>) =>
  fetch(`${url}/v2/images`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });
const v1Create = (url: string, meta: Record<string, string>, headers: Record<string, string>) =>
  fetch(`${url}/v1/images`, {
    method: 'POST',
    headers: { ...Object.fromEntries(Object.entries(meta).map(([k, v]) => [`x-image-meta-${k}`, v])), ...headers },
  });
const v2Patch = (url: string, id: string, ops: unknown[], headers: Record<string, string>) =>
  fetch(`${url}/v2/images/${id}`, {
    method: 'PATCH',
    body: JSON.stringify(ops),
    headers: { 'Content-Type': 'application/openstack-images-v2.1-json-patch', ...headers },
  });

async function withPolicy(policy: PolicyOverrides, fn: (h: Harness) => Promise<void>, extra: Partial<Config> = {}): Promise<void> {
  const h = await startHarness({ policy, ...extra });
  try {
    await fn(h);
  } finally {
    await h.stop();
  }
}

// Policy overrides from configuration, observed through HTTP in both dialects (v1 requests
// are translated onto the same core, so one policy governs both).
describe('policy overrides', () => {
  let defaults: Harness;
  beforeAll(async () => {
    defaults = await startHarness();
  });
  afterAll(() => defaults.stop());

  it('by default a member may not publicize, in either dialect', async () => {
    const v2 = await v2Create(defaults.url, { name: 'x', visibility: 'public' }, MEMBER);
    expect(v2.status).toBe(403);
    expect(await v2.text()).toContain('You are not authorized to complete publicize_image action.');
    const v1 = await v1Create(defaults.url, { name: 'x', is_public: 'true' }, MEMBER);
    expect(v1.status).toBe(403);
    expect((await v2Create(defaults.url, { name: 'x', visibility: 'public' }, ADMIN)).status).toBe(201);
  });

  it('publicize_image: owner lets a member publish their own image (v2 create and PATCH, v1 create and update) but not others\'', () =>
    withPolicy({ publicize_image: 'owner' }, async (h) => {
      const v2 = await v2Create(h.url, { name: 'pub-v2', visibility: 'public' }, MEMBER);
      expect(v2.status).toBe(201);
      expect(((await v2.json()) as { visibility: string }).visibility).toBe('public');

      const v1 = await v1Create(h.url, { name: 'pub-v1', is_public: 'true' }, MEMBER);
      expect(v1.status).toBe(201);
      expect(((await v1.json()) as { image: { is_public: boolean } }).image.is_public).toBe(true);

      const priv = (await (await v2Create(h.url, { name: 'later' }, MEMBER)).json()) as { id: string };
      const patched = await v2Patch(h.url, priv.id, [{ op: 'replace', path: '/visibility', value: 'public' }], MEMBER);
      expect(patched.status).toBe(200);
      expect(((await patched.json()) as { visibility: string }).visibility).toBe('public');

      const priv1 = (await (await v2Create(h.url, { name: 'later-v1' }, MEMBER)).json()) as { id: string };
      const put = await fetch(`${h.url}/v1/images/${priv1.id}`, { method: 'PUT', headers: { 'x-image-meta-is_public': 'true', ...MEMBER } });
      expect(put.status).toBe(200);
      expect(((await put.json()) as { image: { is_public: boolean } }).image.is_public).toBe(true);

      // Another project's image stays out of reach (ownership, then the rule's own target check).
      const others = (await (await v2Create(h.url, { name: 'bobs', visibility: 'community' }, OTHER)).json()) as { id: string };
      expect((await v2Patch(h.url, others.id, [{ op: 'replace', path: '/visibility', value: 'public' }], MEMBER)).status).toBe(403);
      const forOther = await v2Create(h.url, { name: 'for-bob', visibility: 'public', owner: 'p-beta' }, MEMBER);
      expect(forOther.status).toBe(403);
    }));

  it('add_image: admin makes creation admin-only in both dialects', () =>
    withPolicy({ add_image: 'admin' }, async (h) => {
      const v2 = await v2Create(h.url, { name: 'x' }, MEMBER);
      expect(v2.status).toBe(403);
      expect(await v2.text()).toContain('You are not authorized to complete add_image action.');
      expect((await v1Create(h.url, { name: 'x' }, MEMBER)).status).toBe(403);
      expect((await v2Create(h.url, { name: 'x' }, ADMIN)).status).toBe(201);
      expect((await v1Create(h.url, { name: 'x' }, ADMIN)).status).toBe(201);
    }));

  it('communitize_image and modify_image: admin lock members out of those changes', () =>
    withPolicy({ communitize_image: 'admin', modify_image: 'admin' }, async (h) => {
      expect((await v2Create(h.url, { name: 'c', visibility: 'community' }, MEMBER)).status).toBe(403);
      const img = (await (await v2Create(h.url, { name: 'mine' }, MEMBER)).json()) as { id: string };
      const patch = await v2Patch(h.url, img.id, [{ op: 'replace', path: '/name', value: 'renamed' }], MEMBER);
      expect(patch.status).toBe(403);
      expect(await patch.text()).toContain('modify_image');
      const put = await fetch(`${h.url}/v1/images/${img.id}`, { method: 'PUT', headers: { 'x-image-meta-name': 'renamed', ...MEMBER } });
      expect(put.status).toBe(403);
      expect((await v2Patch(h.url, img.id, [{ op: 'replace', path: '/name', value: 'by-admin' }], ADMIN)).status).toBe(200);
    }));

  it('stores_info_detail: anyone opens the store details to members (admin-only by default)', async () => {
    const stores = { stores: [{ id: 'fast', path: 'fast' }], defaultStore: 'fast' } satisfies Partial<Config>;
    await withPolicy({}, async (h) => {
      expect((await fetch(`${h.url}/v2/info/stores/detail`, { headers: MEMBER })).status).toBe(403);
    }, stores);
    await withPolicy({ stores_info_detail: 'anyone' }, async (h) => {
      const res = await fetch(`${h.url}/v2/info/stores/detail`, { headers: MEMBER });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { stores: Array<{ id: string }> }).stores.map((s) => s.id)).toEqual(['fast']);
    }, stores);
  });
});
