/** /v2/images/{id}/members[/{member}] (spec v2 §9). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createImage, plainError, startApi, V2_TIME_RE, type Api } from '../support/api-gateway.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

const O = as('sharer');
const M = as('member-proj');
const members = (id: string) => `/v2/images/${id}/members`;
const add = (id: string, member: unknown, headers = O) => api.call('POST', members(id), { headers, body: { member } });
const setStatus = (id: string, member: string, status: unknown, headers = M) =>
  api.call('PUT', `${members(id)}/${member}`, { headers, body: { status } });

describe('members', () => {
  it('POST → 200 (not 201) with the member document', async () => {
    const img = await createImage(api, {}, O);
    const r = await add(img.id, 'member-proj');
    expect(r.status).toBe(200);
    expect(r.header('content-type')).toBe('application/json');
    const m = r.json();
    expect(Object.keys(m)).toEqual(['member_id', 'image_id', 'status', 'created_at', 'updated_at', 'schema']);
    expect(m).toMatchObject({ member_id: 'member-proj', image_id: img.id, status: 'pending', schema: '/v2/schemas/member' });
    expect(m.created_at).toMatch(V2_TIME_RE);
    const dup = await add(img.id, 'member-proj');
    expect(dup.status).toBe(409);
    expect(dup.text).toBe(plainError('409 Conflict', `Member member-proj is duplicated for image ${img.id}`));
  });

  it('list / show for owner and member; non-members 404', async () => {
    const img = await createImage(api, {}, O);
    await add(img.id, 'member-proj');
    await add(img.id, 'second');
    const ol = await api.call('GET', members(img.id), { headers: O });
    expect(ol.status).toBe(200);
    expect(Object.keys(ol.json())).toEqual(['members', 'schema']);
    expect(ol.json().schema).toBe('/v2/schemas/members');
    expect(ol.json().members.map((m: { member_id: string }) => m.member_id).sort()).toEqual(['member-proj', 'second']);
    const ml = await api.call('GET', members(img.id), { headers: M });
    expect(ml.json().members.map((m: { member_id: string }) => m.member_id)).toEqual(['member-proj']);
    expect((await api.call('GET', `${members(img.id)}/member-proj`, { headers: M })).status).toBe(200);
    const hidden = await api.call('GET', `${members(img.id)}/second`, { headers: M });
    expect(hidden.status).toBe(404);
    expect(hidden.text).toBe(plainError('404 Not Found', `second not found in the member list of the image ${img.id}.`));
    const stranger = await api.call('GET', members(img.id), { headers: as('stranger') });
    expect(stranger.status).toBe(404);
    expect(stranger.text).toBe(plainError('404 Not Found', `Image ${img.id} not found.`));
  });

  it('the member accepts / rejects; the owner may not (403)', async () => {
    const img = await createImage(api, {}, O);
    await add(img.id, 'member-proj');
    const owner = await setStatus(img.id, 'member-proj', 'accepted', O);
    expect(owner.status).toBe(403);
    expect(owner.text).toBe(plainError('403 Forbidden', `Not allowed to update members for image ${img.id}.`));
    for (const status of ['accepted', 'rejected', 'pending']) {
      const r = await setStatus(img.id, 'member-proj', status);
      expect(r.status).toBe(200);
      expect(r.json()).toMatchObject({ member_id: 'member-proj', image_id: img.id, status });
    }
    expect((await setStatus(img.id, 'member-proj', 'accepted', {})).status).toBe(200);
  });

  it.each<[string, unknown, string]>([
    ['no status', { other: 1 }, 'Status not specified'],
    ['bad status', { status: 'bogus' }, 'Incorrect request: Status must be "pending", "accepted" or "rejected".'],
    ['array body', ['accepted'], 'Expected a status in the form: {"status": "status"}'],
  ])('PUT member with %s → 400', async (_what, body, message) => {
    const img = await createImage(api, {}, O);
    await add(img.id, 'member-proj');
    const r = await api.call('PUT', `${members(img.id)}/member-proj`, { headers: M, body: JSON.stringify(body) });
    expect(r.status).toBe(400);
    expect(r.text).toBe(plainError('400 Bad Request', message));
  });

  it.each<[string, unknown, string]>([
    ['no member', { other: 'x' }, 'Member to be added not specified'],
    ['empty member', { member: '' }, "Member can't be empty"],
    ['array body', ['x'], 'Expected a member in the form: {"member": "image_id"}'],
  ])('POST member with %s → 400', async (_what, body, message) => {
    const img = await createImage(api, {}, O);
    const r = await api.call('POST', members(img.id), { headers: O, body: JSON.stringify(body) });
    expect(r.status).toBe(400);
    expect(r.text).toBe(plainError('400 Bad Request', message));
  });

  it('non-shared images: create/list 403, show 404', async () => {
    const img = await createImage(api, { visibility: 'private' }, O);
    const c = await add(img.id, 'x');
    expect(c.status).toBe(403);
    expect(c.text).toBe(plainError('403 Forbidden', `Not allowed to create members for image ${img.id}.`));
    const l = await api.call('GET', members(img.id), { headers: O });
    expect(l.status).toBe(403);
    expect(l.text).toBe(plainError('403 Forbidden', `Not allowed to list members for image ${img.id}: Only shared images have members.`));
    const s = await api.call('GET', `${members(img.id)}/x`, { headers: O });
    expect(s.status).toBe(404);
    expect(s.text).toBe(plainError('404 Not Found', 'Only shared images have members.'));
  });

  it('DELETE: owner 204 without Content-Type; member 403; then the member loses sight', async () => {
    const img = await createImage(api, {}, O);
    await add(img.id, 'member-proj');
    const byMember = await api.call('DELETE', `${members(img.id)}/member-proj`, { headers: M });
    expect(byMember.status).toBe(403);
    expect(byMember.text).toBe(plainError('403 Forbidden', `Not allowed to delete members for image ${img.id}.`));
    const r = await api.call('DELETE', `${members(img.id)}/member-proj`, { headers: O });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.header('content-type')).toBeUndefined();
    expect((await api.call('GET', `/v2/images/${img.id}`, { headers: M })).status).toBe(404);
    expect((await api.call('DELETE', `${members(img.id)}/member-proj`, { headers: O })).status).toBe(404);
    expect((await add(img.id, 'member-proj')).json().status).toBe('pending');
  });

  it('members can read and download but not change the image', async () => {
    const img = await createImage(api, { disk_format: 'raw', container_format: 'bare' }, O);
    await add(img.id, 'member-proj');
    const up = await api.call('PUT', `/v2/images/${img.id}/file`, {
      headers: { ...O, 'Content-Type': 'application/octet-stream' },
      body: Buffer.from('shared-bytes'),
    });
    expect(up.status).toBe(204);
    expect((await api.call('GET', `/v2/images/${img.id}/file`, { headers: M })).text).toBe('shared-bytes');
    const patch = await api.call('PATCH', `/v2/images/${img.id}`, {
      headers: { ...M, 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
      body: '[{"op": "replace", "path": "/name", "value": "x"}]',
    });
    expect(patch.status).toBe(403);
    expect((await api.call('DELETE', `/v2/images/${img.id}`, { headers: M })).status).toBe(403);
    expect((await api.call('PUT', `/v2/images/${img.id}/tags/x`, { headers: M })).status).toBe(403);
    expect((await add(img.id, 'friend', M)).status).toBe(403);
  });
});
