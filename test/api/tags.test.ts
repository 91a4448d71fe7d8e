/** PUT / DELETE /v2/images/{id}/tags/{tag} (spec v2 §8). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createImage, plainError, startApi, type Api } from '../support/api-gateway.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

const O = as('tagger');
const tagUrl = (id: string, tag: string) => `/v2/images/${id}/tags/${tag}`;
const show = async (id: string) => (await api.call('GET', `/v2/images/${id}`, { headers: O })).json();

describe('tags', () => {
  it('PUT → 204 and idempotent; DELETE → 204; DELETE again → 404', async () => {
    const img = await createImage(api, {}, O);
    const r = await api.call('PUT', tagUrl(img.id, 'alpha'), { headers: O });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect((await api.call('PUT', tagUrl(img.id, 'alpha'), { headers: O })).status).toBe(204);
    expect((await show(img.id)).tags).toEqual(['alpha']);
    expect((await api.call('DELETE', tagUrl(img.id, 'alpha'), { headers: O })).status).toBe(204);
    expect((await show(img.id)).tags).toEqual([]);
    const again = await api.call('DELETE', tagUrl(img.id, 'alpha'), { headers: O });
    expect(again.status).toBe(404);
    expect(again.text).toBe(plainError('404 Not Found', 'The resource could not be found.'));
  });

  it('PUT bumps updated_at', async () => {
    const img = await createImage(api, {}, O);
    await new Promise((r) => setTimeout(r, 1100));
    await api.call('PUT', tagUrl(img.id, 'later'), { headers: O });
    expect((await show(img.id)).updated_at > img.updated_at).toBe(true);
  });

  it('the tag is the URL-decoded segment; tags are case-sensitive', async () => {
    const img = await createImage(api, {}, O);
    expect((await api.call('PUT', tagUrl(img.id, 'sp%20ace'), { headers: O })).status).toBe(204);
    expect((await api.call('PUT', tagUrl(img.id, 'Case'), { headers: O })).status).toBe(204);
    expect([...(await show(img.id)).tags].sort()).toEqual(['Case', 'sp ace']);
    expect((await api.call('DELETE', tagUrl(img.id, 'case'), { headers: O })).status).toBe(404);
    expect((await api.call('DELETE', tagUrl(img.id, 'sp%20ace'), { headers: O })).status).toBe(204);
    const listed = await api.call('GET', '/v2/images?tag=Case', { headers: O });
    expect(listed.json().images.map((i: { id: string }) => i.id)).toEqual([img.id]);
  });

  it('a tag of 256 characters → 400 (even for an unknown image)', async () => {
    const img = await createImage(api, {}, O);
    const r = await api.call('PUT', tagUrl(img.id, 't'.repeat(256)), { headers: O });
    expect(r.status).toBe(400);
    expect(r.text).toContain("Provided object does not match schema 'image': ");
    expect((await api.call('PUT', tagUrl('00000000-0000-0000-0000-000000000000', 't'.repeat(256)), { headers: O })).status).toBe(400);
    expect((await api.call('PUT', tagUrl(img.id, 't'.repeat(255)), { headers: O })).status).toBe(204);
  });

  it('unknown / invisible image → 404 "Image {id} not found."', async () => {
    const zero = '00000000-0000-0000-0000-000000000000';
    const r = await api.call('PUT', tagUrl(zero, 'x'), { headers: O });
    expect(r.status).toBe(404);
    expect(r.text).toBe(plainError('404 Not Found', `Image ${zero} not found.`));
    const priv = await createImage(api, { visibility: 'private' }, O);
    expect((await api.call('PUT', tagUrl(priv.id, 'x'), { headers: as('other') })).status).toBe(404);
    expect((await api.call('DELETE', tagUrl(priv.id, 'x'), { headers: as('other') })).status).toBe(404);
  });

  it('visible but not owner → 403 with the tag messages', async () => {
    const img = await createImage(api, { visibility: 'community', tags: ['keep'] }, O);
    const put = await api.call('PUT', tagUrl(img.id, 'x'), { headers: as('other') });
    expect(put.status).toBe(403);
    expect(put.text).toBe(plainError('403 Forbidden', `Not allowed to update tags for image ${img.id}.`));
    const del = await api.call('DELETE', tagUrl(img.id, 'keep'), { headers: as('other') });
    expect(del.status).toBe(403);
    expect(del.text).toBe(plainError('403 Forbidden', `Not allowed to delete tags for image ${img.id}.`));
    expect((await show(img.id)).tags).toEqual(['keep']);
    expect((await api.call('PUT', tagUrl(img.id, 'by-admin'), {})).status).toBe(204);
  });

  it('works on deactivated images', async () => {
    const img = await createImage(api, { disk_format: 'raw', container_format: 'bare' }, O);
    const up = await api.call('PUT', `/v2/images/${img.id}/file`, {
      headers: { ...O, 'Content-Type': 'application/octet-stream' },
      body: Buffer.from('x'),
    });
    expect(up.status).toBe(204);
    expect((await api.call('POST', `/v2/images/${img.id}/actions/deactivate`, { headers: O })).status).toBe(204);
    expect((await api.call('PUT', tagUrl(img.id, 'dz'), { headers: O })).status).toBe(204);
    expect((await show(img.id)).tags).toEqual(['dz']);
  });

  it('GET / POST on a tag → 405 Allow: PUT, DELETE', async () => {
    const img = await createImage(api, {}, O);
    for (const method of ['GET', 'POST']) {
      const r = await api.call(method, tagUrl(img.id, 'x'), { headers: O });
      expect(r.status).toBe(405);
      expect(r.header('allow')).toBe('PUT, DELETE');
    }
  });
});
