/**
 * Quotas → 413 (spec v2 §0, §5.1 #10/#12, §5.4.3, §6.1 #8, §8, §9), on a gateway with tiny quotas:
 * 2 tags, 2 extra properties, 1 member, 20 bytes of storage per owner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createImage, OCTET, plainError, startApi, uploadImage, V21, type Api } from '../support/api-gateway.js';

let api: Api;
beforeAll(async () => {
  api = await startApi({}, { tagQuota: 2, propertyQuota: 2, memberQuota: 1, userStorageQuota: 20 });
});
afterAll(async () => {
  await api?.close();
});

const TOO_LARGE = '413 Request Entity Too Large';
const RAW = { disk_format: 'raw', container_format: 'bare' };

describe('tag quota (2)', () => {
  it('create with 3 distinct tags → 413; duplicates do not count', async () => {
    const r = await api.call('POST', '/v2/images', { body: { tags: ['a', 'b', 'c'] } });
    expect(r.status).toBe(413);
    expect(r.text).toBe(plainError(TOO_LARGE, 'The limit has been exceeded on the number of allowed image tags. Attempted: 3, Maximum: 2'));
    expect((await api.call('POST', '/v2/images', { body: { tags: ['a', 'b', 'a'] } })).status).toBe(201);
  });

  it('PUT of a third tag → 413; re-adding an existing one is fine', async () => {
    const img = await createImage(api, { tags: ['a', 'b'] });
    const r = await api.call('PUT', `/v2/images/${img.id}/tags/c`);
    expect(r.status).toBe(413);
    expect(r.text).toBe(
      plainError(
        TOO_LARGE,
        `Image tag limit exceeded for image ${img.id}: The limit has been exceeded on the number of allowed image tags. Attempted: 3, Maximum: 2:`,
      ),
    );
    expect((await api.call('PUT', `/v2/images/${img.id}/tags/a`)).status).toBe(204);
  });

  it('PATCH replace /tags with 3 → 413', async () => {
    const img = await createImage(api, {});
    const r = await api.call('PATCH', `/v2/images/${img.id}`, {
      headers: { 'Content-Type': V21 },
      body: [{ op: 'replace', path: '/tags', value: ['x', 'y', 'z'] }],
    });
    expect(r.status).toBe(413);
  });
});

describe('property quota (2)', () => {
  it('create with 3 extra properties → 413', async () => {
    const r = await api.call('POST', '/v2/images', { body: { p1: 'a', p2: 'b', p3: 'c' } });
    expect(r.status).toBe(413);
    expect(r.text).toBe(plainError(TOO_LARGE, 'The limit has been exceeded on the number of allowed image properties. Attempted: 3, Maximum: 2'));
  });

  it('PATCH adding a third → 413; replacing an existing one is fine', async () => {
    const img = await createImage(api, { p1: 'a', p2: 'b' });
    const add = await api.call('PATCH', `/v2/images/${img.id}`, { headers: { 'Content-Type': V21 }, body: [{ op: 'add', path: '/p3', value: 'c' }] });
    expect(add.status).toBe(413);
    const rep = await api.call('PATCH', `/v2/images/${img.id}`, { headers: { 'Content-Type': V21 }, body: [{ op: 'replace', path: '/p1', value: 'z' }] });
    expect(rep.status).toBe(200);
  });

  it('import bookkeeping (os_glance_*) does not count', async () => {
    const img = await createImage(api, { ...RAW, p1: 'a', p2: 'b' });
    expect((await api.call('PUT', `/v2/images/${img.id}/stage`, { headers: OCTET, body: Buffer.from('abc') })).status).toBe(204);
    expect((await api.call('POST', `/v2/images/${img.id}/import`, { body: { method: { name: 'glance-direct' } } })).status).toBe(202);
    let status = '';
    for (let i = 0; i < 200 && status !== 'active' && status !== 'queued'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await api.call('GET', `/v2/images/${img.id}`)).json().status;
    }
    expect(status).toBe('active');
    const rep = await api.call('PATCH', `/v2/images/${img.id}`, { headers: { 'Content-Type': V21 }, body: [{ op: 'replace', path: '/p2', value: 'q' }] });
    expect(rep.status).toBe(200);
  });
});

describe('member quota (1)', () => {
  it('a second member → 413', async () => {
    const img = await createImage(api, {}, as('sharer'));
    expect((await api.call('POST', `/v2/images/${img.id}/members`, { headers: as('sharer'), body: { member: 'm1' } })).status).toBe(200);
    const r = await api.call('POST', `/v2/images/${img.id}/members`, { headers: as('sharer'), body: { member: 'm2' } });
    expect(r.status).toBe(413);
    expect(r.text).toBe(
      plainError(
        TOO_LARGE,
        `Image member limit exceeded for image ${img.id}: The limit has been exceeded on the number of allowed image members for this image. Attempted: 2, Maximum: 1:`,
      ),
    );
  });
});

describe('user storage quota (20 bytes)', () => {
  it('counts the owner\'s stored bytes; failures and deletions free them', async () => {
    const h = as('quota-user');
    const first = await createImage(api, RAW, h);
    await uploadImage(api, first.id, Buffer.alloc(8), h);
    const second = await createImage(api, RAW, h);
    const r = await api.call('PUT', `/v2/images/${second.id}/file`, { headers: { ...h, ...OCTET }, body: Buffer.alloc(14) });
    expect(r.status).toBe(413);
    expect(r.text).toBe(plainError(TOO_LARGE, 'Image exceeds the storage quota: The size of the data 14 will exceed the limit. 12 bytes remaining.'));
    expect((await api.call('GET', `/v2/images/${second.id}`, { headers: h })).json().status).toBe('queued');
    await uploadImage(api, second.id, Buffer.alloc(12), h);
    const third = await createImage(api, RAW, h);
    expect((await api.call('PUT', `/v2/images/${third.id}/file`, { headers: { ...h, ...OCTET }, body: Buffer.alloc(1) })).status).toBe(413);
    expect((await api.call('DELETE', `/v2/images/${first.id}`, { headers: h })).status).toBe(204);
    await uploadImage(api, third.id, Buffer.alloc(8), h);
    const other = await createImage(api, RAW, as('someone-else'));
    await uploadImage(api, other.id, Buffer.alloc(20), as('someone-else'));
  });

  it('chunked uploads are cut off at the quota too', async () => {
    const h = as('quota-chunked');
    const img = await createImage(api, RAW, h);
    const r = await api.call('PUT', `/v2/images/${img.id}/file`, {
      headers: { ...h, ...OCTET },
      body: (async function* () { for (let i = 0; i < 5; i++) yield Buffer.alloc(10); })(),
    });
    expect(r.status).toBe(413);
    expect((await api.call('GET', `/v2/images/${img.id}`, { headers: h })).json()).toMatchObject({ status: 'queued', size: null });
  });
});
