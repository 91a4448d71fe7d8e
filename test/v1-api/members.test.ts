/** v1 image sharing (spec v1 §3.8, §7.3): members, replace-all, shared-images. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAW, as, createV1, detail, meta, startApi, type Api } from './v1-helpers.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const OWNER = as('owner');
const ALT = as('alt');
const JSON_H = { 'Content-Type': 'application/json' };
const MISSING = '5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e';

async function privateImage(name = 'shared-me'): Promise<string> {
  const image = await createV1(api, { ...meta({ name, ...RAW, is_public: false }), ...OWNER }, Buffer.alloc(1024, 9));
  return image.id as string;
}

async function members(id: string, headers = OWNER): Promise<string[]> {
  const r = await api.call('GET', `/v1/images/${id}/members`, { headers });
  expect(r.status, r.text).toBe(200);
  const body = r.json();
  for (const m of body.members) expect(m).toEqual({ member_id: m.member_id, can_share: false });
  return body.members.map((m: { member_id: string }) => m.member_id);
}

describe('members of one image', () => {
  it('add (204, empty body), list, alt downloads; then delete (204) and alt gets 404', async () => {
    const id = await privateImage();
    expect(await members(id)).toEqual([]);
    expect((await api.call('GET', `/v1/images/${id}`, { headers: ALT })).status).toBe(404);
    const add = await api.call('PUT', `/v1/images/${id}/members/alt`, { headers: { ...OWNER, ...JSON_H }, body: { member: {} } });
    expect(add.status, add.text).toBe(204);
    expect(add.body.length).toBe(0);
    expect(await members(id)).toEqual(['alt']);
    const dl = await api.call('GET', `/v1/images/${id}`, { headers: ALT });
    expect(dl.status).toBe(200);
    expect(dl.body.length).toBe(1024);
    // v1 has no member status: alt sees the image in its list at once.
    expect((await detail(api, 'name=shared-me', ALT)).map((i) => i.id)).toContain(id);
    const del = await api.call('DELETE', `/v1/images/${id}/members/alt`, { headers: OWNER });
    expect(del.status).toBe(204);
    expect(del.body.length).toBe(0);
    expect(await members(id)).toEqual([]);
    expect((await api.call('GET', `/v1/images/${id}`, { headers: ALT })).status).toBe(404);
  });

  it('adding a member makes a private image shared; adding twice is fine', async () => {
    const id = await privateImage('was-private');
    expect((await api.call('PATCH', `/v2/images/${id}`, {
      headers: { ...OWNER, 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
      body: [{ op: 'replace', path: '/visibility', value: 'private' }],
    })).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const r = await api.call('PUT', `/v1/images/${id}/members/alt`, { headers: OWNER });
      expect(r.status).toBe(204);
    }
    expect((await api.call('GET', `/v2/images/${id}`, { headers: OWNER })).json().visibility).toBe('shared');
    expect(await members(id)).toEqual(['alt']);
    const can = await api.call('PUT', `/v1/images/${id}/members/third`, { headers: { ...OWNER, ...JSON_H }, body: { member: { can_share: true } } });
    expect(can.status).toBe(204);
    expect(await members(id)).toEqual(['alt', 'third']);
  });

  it('the member sees only its own membership; a stranger gets 404 for a private image', async () => {
    const id = await privateImage('lists');
    await api.call('PUT', `/v1/images/${id}/members/alt`, { headers: OWNER });
    await api.call('PUT', `/v1/images/${id}/members/other`, { headers: OWNER });
    expect(await members(id, ALT)).toEqual(['alt']);
    expect((await api.call('GET', `/v1/images/${id}/members`, { headers: as('stranger') })).status).toBe(404);
  });

  it('replace-all: PUT /members with memberships; a bare object is one membership', async () => {
    const id = await privateImage('replace');
    await api.call('PUT', `/v1/images/${id}/members/old1`, { headers: OWNER });
    await api.call('PUT', `/v1/images/${id}/members/keep`, { headers: OWNER });
    const r = await api.call('PUT', `/v1/images/${id}/members`, {
      headers: { ...OWNER, ...JSON_H },
      body: { memberships: [{ member_id: 'keep' }, { member_id: 'new1', can_share: true }] },
    });
    expect(r.status, r.text).toBe(204);
    expect(new Set(await members(id))).toEqual(new Set(['keep', 'new1']));
    const bare = await api.call('PUT', `/v1/images/${id}/members`, { headers: { ...OWNER, ...JSON_H }, body: { member_id: 'solo' } });
    expect(bare.status).toBe(204);
    expect(await members(id)).toEqual(['solo']);
    const none = await api.call('PUT', `/v1/images/${id}/members`, { headers: { ...OWNER, ...JSON_H }, body: { memberships: [] } });
    expect(none.status).toBe(204);
    expect(await members(id)).toEqual([]);
  });

  it('replace-all with a bad body is 400, never 500', async () => {
    const id = await privateImage('badreplace');
    const bodies: Array<string | object | undefined> = [undefined, { memberships: [{ can_share: true }] }, { foo: 1 }, '{not json'];
    for (const body of bodies) {
      const r = await api.call('PUT', `/v1/images/${id}/members`, { headers: { ...OWNER, ...JSON_H }, ...(body !== undefined ? { body } : {}) });
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    const malformed = await api.call('PUT', `/v1/images/${id}/members/alt`, { headers: { ...OWNER, ...JSON_H }, body: '{oops' });
    expect(malformed.status).toBe(400);
  });

  it('GET /members/{m} is 405 without an Allow header', async () => {
    const id = await privateImage('get405');
    await api.call('PUT', `/v1/images/${id}/members/alt`, { headers: OWNER });
    const r = await api.call('GET', `/v1/images/${id}/members/alt`, { headers: OWNER });
    expect(r.status).toBe(405);
    expect(r.header('allow')).toBeUndefined();
  });
});

describe('refusals', () => {
  it('unknown image: add, delete and list are 404', async () => {
    expect((await api.call('PUT', `/v1/images/${MISSING}/members/alt`, { headers: OWNER })).status).toBe(404);
    expect((await api.call('DELETE', `/v1/images/${MISSING}/members/alt`, { headers: OWNER })).status).toBe(404);
    expect((await api.call('GET', `/v1/images/${MISSING}/members`, { headers: OWNER })).status).toBe(404);
    expect((await api.call('PUT', `/v1/images/${MISSING}/members`, { headers: { ...OWNER, ...JSON_H }, body: { memberships: [] } })).status).toBe(404);
  });

  it('deleting a membership that does not exist is 404', async () => {
    const id = await privateImage('nomember');
    const r = await api.call('DELETE', `/v1/images/${id}/members/0123456789abcdef0123456789abcdef`, { headers: OWNER });
    expect(r.status).toBe(404);
  });

  it('a non-owner (even a member) cannot add, delete or replace: 404, nothing changes', async () => {
    const id = await privateImage('guarded');
    await api.call('PUT', `/v1/images/${id}/members/alt`, { headers: OWNER });
    expect((await api.call('PUT', `/v1/images/${id}/members/evil`, { headers: ALT })).status).toBe(404);
    expect((await api.call('PUT', `/v1/images/${id}/members/evil`, { headers: as('stranger') })).status).toBe(404);
    expect((await api.call('DELETE', `/v1/images/${id}/members/alt`, { headers: as('stranger') })).status).toBe(404);
    const rep = await api.call('PUT', `/v1/images/${id}/members`, { headers: { ...ALT, ...JSON_H }, body: { memberships: [{ member_id: 'evil' }] } });
    // Spec §3.8: "not sharable → 404" applies to replace-all too ("401/403/404 as above").
    expect.soft(rep.status).toBe(404);
    expect(await members(id)).toEqual(['alt']);
  });

  it('a public image not owned lists no members; members cannot be added to it', async () => {
    const pub = await createV1(api, meta({ name: 'pubimg', ...RAW, is_public: true }));
    const r = await api.call('GET', `/v1/images/${pub.id}/members`, { headers: ALT });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ members: [] });
    expect((await api.call('PUT', `/v1/images/${pub.id}/members/alt`, { headers: ALT })).status).toBe(404);
  });
});

describe('GET /v1/shared-images/{member}', () => {
  it('the owner sees the memberships of alt on its images; alt sees its own', async () => {
    const one = await privateImage('s1');
    const two = await privateImage('s2');
    for (const id of [one, two]) expect((await api.call('PUT', `/v1/images/${id}/members/shared-alt`, { headers: OWNER })).status).toBe(204);
    const r = await api.call('GET', '/v1/shared-images/shared-alt', { headers: OWNER });
    expect(r.status).toBe(200);
    const shared = r.json().shared_images as Array<{ image_id: string; can_share: boolean }>;
    expect(new Set(shared.map((s) => s.image_id))).toEqual(new Set([one, two]));
    for (const s of shared) expect(s.can_share).toBe(false);
    const own = (await api.call('GET', '/v1/shared-images/shared-alt', { headers: as('shared-alt') })).json().shared_images;
    expect(new Set(own.map((s: { image_id: string }) => s.image_id))).toEqual(new Set([one, two]));
    const admin = (await api.call('GET', '/v1/shared-images/shared-alt')).json().shared_images;
    expect(admin.length).toBe(2);
    // A third project sees none of them; an unknown member has none.
    expect((await api.call('GET', '/v1/shared-images/shared-alt', { headers: as('stranger') })).json()).toEqual({ shared_images: [] });
    expect((await api.call('GET', '/v1/shared-images/nobody-at-all', { headers: OWNER })).json()).toEqual({ shared_images: [] });
  });
});
