/**
 * Quotas (spec v1 §0, §3.3 step 2, §3.6 step 8, §3.8), caller rules for shared images (§3.6
 * step 9, §3.7), anonymous member changes (§1.2), the store header and Expect: 100-continue.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAW, as, createV1, headMeta, md5, meta, postV1, putV1, startApi, type Api } from './v1-helpers.js';

let api: Api;
beforeAll(async () => {
  api = await startApi({}, { propertyQuota: 3, memberQuota: 2 });
});
afterAll(async () => {
  await api.close();
});

const OWNER = as('qowner');
const JSON_H = { 'Content-Type': 'application/json' };

describe('quotas', () => {
  it('more properties than the quota on create is 413', async () => {
    const r = await postV1(api, meta({ name: 'p' }, { a: '1', b: '2', c: '3', d: '4' }));
    expect(r.status).toBe(413);
    expect(r.text).toContain('Attempted: 4, Maximum: 3');
    expect((await postV1(api, meta({ name: 'p' }, { a: '1', b: '2', c: '3' }))).status).toBe(201);
  });

  it('on update, existing properties count unless purged', async () => {
    const image = await createV1(api, meta({ name: 'u' }, { a: '1', b: '2' }));
    const noPurge = await putV1(api, image.id, { ...meta({}, { c: '3', d: '4' }), 'x-glance-registry-purge-props': 'false' });
    expect(noPurge.status).toBe(413);
    expect((await headMeta(api, image.id)).properties).toEqual({ a: '1', b: '2' });
    const purge = await putV1(api, image.id, meta({}, { c: '3', d: '4', e: '5' }));
    expect(purge.status, purge.text).toBe(200);
    expect((await headMeta(api, image.id)).properties).toEqual({ c: '3', d: '4', e: '5' });
  });

  it('a member beyond the member quota is 413 (add and replace-all)', async () => {
    const image = await createV1(api, { ...meta({ name: 'm', ...RAW }), ...OWNER });
    for (const m of ['m1', 'm2']) expect((await api.call('PUT', `/v1/images/${image.id}/members/${m}`, { headers: OWNER })).status).toBe(204);
    expect((await api.call('PUT', `/v1/images/${image.id}/members/m3`, { headers: OWNER })).status).toBe(413);
    const rep = await api.call('PUT', `/v1/images/${image.id}/members`, {
      headers: { ...OWNER, ...JSON_H },
      body: { memberships: [{ member_id: 'x1' }, { member_id: 'x2' }, { member_id: 'x3' }] },
    });
    expect.soft(rep.status).toBe(413);
    const members = (await api.call('GET', `/v1/images/${image.id}/members`, { headers: OWNER })).json().members;
    expect(members.map((m: { member_id: string }) => m.member_id)).toEqual(['m1', 'm2']);
  });
});

describe('callers', () => {
  it('a member of a shared image may read it but not update or delete it: 403', async () => {
    const image = await createV1(api, { ...meta({ name: 'shared', ...RAW }), ...OWNER }, Buffer.from('s'));
    await api.call('PUT', `/v1/images/${image.id}/members/mem`, { headers: OWNER });
    const member = as('mem');
    expect((await api.call('GET', `/v1/images/${image.id}`, { headers: member })).status).toBe(200);
    expect((await putV1(api, image.id, { ...meta({ name: 'taken' }), ...member })).status).toBe(403);
    expect((await putV1(api, image.id, member)).status).toBe(403);
    expect((await api.call('DELETE', `/v1/images/${image.id}`, { headers: member })).status).toBe(403);
    expect((await headMeta(api, image.id)).fields).toMatchObject({ name: 'shared', status: 'active' });
  });

  it('member changes without a project are 401 (No authenticated user)', async () => {
    const image = await createV1(api, meta({ name: 'anon', ...RAW }));
    const anon = { 'X-Roles': 'member' };
    const add = await api.call('PUT', `/v1/images/${image.id}/members/x`, { headers: anon });
    expect.soft(add.status).toBe(401);
    expect.soft((await api.call('DELETE', `/v1/images/${image.id}/members/x`, { headers: anon })).status).toBe(401);
    const rep = await api.call('PUT', `/v1/images/${image.id}/members`, { headers: { ...anon, ...JSON_H }, body: { memberships: [] } });
    expect.soft(rep.status).toBe(401);
    expect((await api.call('GET', `/v1/images/${image.id}/members`)).json()).toEqual({ members: [] });
  });
});

describe('x-image-meta-store (single store)', () => {
  it('file is accepted for an upload; an unknown store is 400 and nothing is stored', async () => {
    const data = Buffer.from('to the file store');
    const ok = await postV1(api, { ...meta({ name: 's', ...RAW }), 'x-image-meta-store': 'file' }, data);
    expect(ok.status, ok.text).toBe(201);
    expect(ok.json().image.checksum).toBe(md5(data));
    const bad = await postV1(api, { ...meta({ name: 's2', ...RAW }), 'x-image-meta-store': 'nowhere' }, data);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('nowhere');
  });

  it('an unknown store on a reserve is 400 too (§3.3 step 3)', async () => {
    const r = await postV1(api, { ...meta({ name: 'reserve-store', ...RAW }), 'x-image-meta-store': 'nowhere' });
    expect(r.status).toBe(400);
  });
});

describe('Expect: 100-continue', () => {
  it('the gateway sends 100 Continue before the body, then 201', async () => {
    const data = Buffer.from('sent after 100 continue');
    const url = new URL('/v1/images', api.url);
    const result = await new Promise<{ continued: boolean; status: number; body: string }>((resolve, reject) => {
      let continued = false;
      const req = httpRequest(url, {
        method: 'POST',
        headers: { ...meta({ name: 'continue', ...RAW }), 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length), Expect: '100-continue' },
      });
      req.on('continue', () => {
        continued = true;
        req.end(data);
      });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ continued, status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(result.continued).toBe(true);
    expect(result.status).toBe(201);
    expect(JSON.parse(result.body).image).toMatchObject({ status: 'active', checksum: md5(data) });
  });
});
