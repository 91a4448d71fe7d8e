/**
 * One image, two dialects (spec v1 §7): what v1 writes, v2 reads, patches and downloads, and
 * the other way round. Tags and os_hidden (invisible to v1) survive v1 updates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V21 } from '../support/api-gateway.js';
import { RAW, as, createV1, detail, headMeta, headV1, md5, meta, putV1, startApi, upstreamMode, type Api } from './v1-helpers.js';

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

/** v2 base attributes (§7.1); everything else on a v2 image is a property. */
const V2_BASE = new Set([
  'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum', 'os_hash_algo', 'os_hash_value', 'owner', 'size',
  'virtual_size', 'container_format', 'disk_format', 'created_at', 'updated_at', 'tags', 'direct_url', 'min_ram', 'min_disk',
  'self', 'file', 'schema', 'locations', 'stores',
]);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function v2Extras(image: any): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).filter(([k]) => !V2_BASE.has(k) && !k.startsWith('os_glance')));
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function v2Get(id: string, headers: Record<string, string>): Promise<any> {
  const r = await api.call('GET', `/v2/images/${id}`, { headers });
  expect(r.status, r.text).toBe(200);
  return r.json();
}
const latin1ToUtf8 = (v: string | undefined): string => Buffer.from(v ?? '', 'latin1').toString('utf8');

describe('created in v1, used in v2', () => {
  const OWNER = as('v1owner');
  const READER = as('v2reader');
  const data = Buffer.from('bytes written through v1 '.repeat(40));
  let id: string;

  beforeAll(async () => {
    const image = await createV1(api, {
      ...meta({ name: 'from-v1', ...RAW, is_public: false, min_ram: 64, min_disk: 2 }, { os_distro: 'cirros', 'hw-disk-bus': 'virtio' }),
      'x-image-meta-property-note': Buffer.from('café', 'utf8').toString('latin1'),
      ...OWNER,
    }, data);
    id = image.id;
    expect((await api.call('PUT', `/v1/images/${id}/members/v2reader`, { headers: OWNER })).status).toBe(204);
  });

  it('v2 shows the same fields, properties, visibility, status and checksum', async () => {
    const v2 = await v2Get(id, OWNER);
    expect(v2).toMatchObject({
      name: 'from-v1', disk_format: 'raw', container_format: 'bare', visibility: 'shared', status: 'active', owner: 'v1owner',
      min_ram: 64, min_disk: 2, size: data.length, checksum: md5(data), protected: false, tags: [], os_hidden: false,
    });
    expect(v2Extras(v2)).toEqual({ os_distro: 'cirros', hw_disk_bus: 'virtio', note: 'café' });
    const v1 = (await detail(api, 'name=from-v1', OWNER))[0];
    expect(v1.created_at.slice(0, 19)).toBe(v2.created_at.slice(0, 19));
    expect(v1.updated_at.slice(0, 19)).toBe(v2.updated_at.slice(0, 19));
  });

  it('v2 members list the v1 member; the member reads and downloads in v2', async () => {
    const members = (await api.call('GET', `/v2/images/${id}/members`, { headers: OWNER })).json().members;
    expect(members.map((m: { member_id: string }) => m.member_id)).toEqual(['v2reader']);
    expect((await v2Get(id, READER)).id).toBe(id);
    const file = await api.call('GET', `/v2/images/${id}/file`, { headers: READER });
    expect(file.status).toBe(200);
    expect(file.body.equals(data)).toBe(true);
    expect(file.header('content-md5')).toBe(md5(data));
  });

  it('a v2 PATCH is seen by v1: name, properties; tags and os_hidden stay invisible to v1', async () => {
    const r = await api.call('PATCH', `/v2/images/${id}`, {
      headers: { ...OWNER, 'Content-Type': V21 },
      body: [
        { op: 'replace', path: '/name', value: 'patched-in-v2' },
        { op: 'add', path: '/added_in_v2', value: 'yes' },
        { op: 'remove', path: '/hw_disk_bus' },
        { op: 'replace', path: '/tags', value: ['gold'] },
        { op: 'replace', path: '/os_hidden', value: true },
      ],
    });
    expect(r.status, r.text).toBe(200);
    const m = await headMeta(api, id, OWNER);
    expect(m.fields).toMatchObject({ name: 'patched-in-v2', status: 'active', checksum: md5(data), is_public: 'False' });
    expect(Object.keys(m.properties).sort()).toEqual(['added_in_v2', 'note', 'os_distro']);
    expect(latin1ToUtf8(m.properties.note)).toBe('café');
    for (const k of ['tags', 'os_hidden', 'os_hash_algo', 'os_hash_value', 'visibility', 'stores']) expect(m.fields[k]).toBeUndefined();
  });

  it('made public in v1 by an admin, it is public in v2; back to not public it is shared', async () => {
    expect((await putV1(api, id, { 'x-image-meta-is_public': 'True', 'x-glance-registry-purge-props': 'false' })).status).toBe(200);
    expect((await v2Get(id, as('anyone'))).visibility).toBe('public');
    expect((await putV1(api, id, { 'x-image-meta-is_public': 'False', 'x-glance-registry-purge-props': 'false' })).status).toBe(200);
    const v2 = await v2Get(id, OWNER);
    expect(v2).toMatchObject({ visibility: 'shared', tags: ['gold'], os_hidden: true, name: 'patched-in-v2' });
    expect(v2Extras(v2)).toEqual({ os_distro: 'cirros', note: 'café', added_in_v2: 'yes' });
    expect((await api.call('GET', `/v2/images/${id}`, { headers: as('anyone') })).status).toBe(404);
  });

  it('a v1 reserve then v1 upload with declared size/checksum: v2 agrees and shows no bookkeeping', async () => {
    const bytes = Buffer.from('declared bytes');
    const image = await createV1(api, { ...meta({ name: 'declared', ...RAW, size: bytes.length, checksum: md5(bytes) }), ...OWNER });
    const queued = await v2Get(image.id, OWNER);
    expect(queued.status).toBe('queued');
    expect(queued.size).toBeNull();
    expect(Object.keys(queued).filter((k) => k.includes('declared'))).toEqual([]);
    expect((await putV1(api, image.id, OWNER, bytes)).status).toBe(200);
    const v2 = await v2Get(image.id, OWNER);
    expect(v2).toMatchObject({ status: 'active', size: bytes.length, checksum: md5(bytes) });
    expect(v2Extras(v2)).toEqual({});
    expect(Object.keys(v2).filter((k) => k.includes('declared'))).toEqual([]);
  });
});

describe('created in v2, used in v1', () => {
  const OWNER = as('v2owner');
  const READER = as('v1reader');
  const data = Buffer.from('bytes written through v2 '.repeat(30));
  let id: string;

  beforeAll(async () => {
    const r = await api.call('POST', '/v2/images', {
      headers: OWNER,
      body: {
        name: 'from-v2', disk_format: 'qcow2', container_format: 'bare', visibility: 'shared', tags: ['a', 'b'], min_disk: 1,
        os_distro: 'ubuntu', 'Key With Spaces': 'spaced', note: 'naïve',
      },
    });
    expect(r.status, r.text).toBe(201);
    id = r.json().id;
    expect((await api.call('POST', `/v2/images/${id}/members`, { headers: OWNER, body: { member: 'v1reader' } })).status).toBe(200);
  });

  it('a queued v2 image shows size 0 and status queued in v1', async () => {
    const m = await headMeta(api, id, OWNER);
    expect(m.fields).toMatchObject({ status: 'queued', size: '0', is_public: 'False', owner: 'v2owner' });
    expect((await api.call('GET', `/v1/images/${id}`, { headers: OWNER })).status).toBe(404);
  });

  it('after the v2 upload: v1 HEAD, detail and GET agree with v2', async () => {
    expect((await api.call('PUT', `/v2/images/${id}/file`, { headers: { ...OWNER, 'Content-Type': 'application/octet-stream' }, body: data })).status).toBe(204);
    const v2 = await v2Get(id, OWNER);
    const head = await headV1(api, id, OWNER);
    const m = await headMeta(api, id, OWNER);
    expect(m.fields).toMatchObject({
      id, name: 'from-v2', status: 'active', disk_format: 'qcow2', container_format: 'bare', size: String(data.length),
      checksum: v2.checksum, min_disk: '1', min_ram: '0', is_public: 'False', protected: 'False', deleted: 'False',
    });
    expect(head.header('etag')).toBe(v2.checksum);
    // A property name that is not an HTTP token cannot travel in a header [L]; JSON has it.
    expect(Object.keys(m.properties).sort()).toEqual(['note', 'os_distro']);
    expect(latin1ToUtf8(m.properties.note)).toBe('naïve');
    const item = (await detail(api, 'name=from-v2', OWNER))[0];
    expect(item.properties).toEqual({ os_distro: 'ubuntu', 'Key With Spaces': 'spaced', note: 'naïve' });
    expect(item).toMatchObject({ size: data.length, checksum: md5(data), is_public: false, status: 'active' });
    const get = await api.call('GET', `/v1/images/${id}`, { headers: OWNER });
    expect(get.body.equals(data)).toBe(true);
    expect(get.header('content-md5')).toBe(md5(data));
  });

  it('the pending v2 member sees it in v1 at once: HEAD, GET, detail, shared-images; v1 lists the member', async () => {
    expect((await headV1(api, id, READER)).status).toBe(200);
    expect((await api.call('GET', `/v1/images/${id}`, { headers: READER })).body.equals(data)).toBe(true);
    expect((await detail(api, 'name=from-v2', READER)).map((i) => i.id)).toEqual([id]);
    const shared = (await api.call('GET', '/v1/shared-images/v1reader', { headers: READER })).json().shared_images;
    expect(shared.map((s: { image_id: string }) => s.image_id)).toContain(id);
    const members = (await api.call('GET', `/v1/images/${id}/members`, { headers: OWNER })).json();
    expect(members).toEqual({ members: [{ member_id: 'v1reader', can_share: false }] });
  });

  it('v1 updates (purging by default) keep tags, os_hidden, visibility and members', async () => {
    await api.call('PATCH', `/v2/images/${id}`, { headers: { ...OWNER, 'Content-Type': V21 }, body: [{ op: 'replace', path: '/os_hidden', value: true }] });
    const r = await putV1(api, id, { ...meta({ name: 'renamed-in-v1', min_ram: 512, is_public: false }, { added_v1: 'x' }), ...OWNER });
    expect(r.status, r.text).toBe(200);
    expect(r.json().image.properties).toEqual({ added_v1: 'x' });
    const v2 = await v2Get(id, OWNER);
    expect(v2).toMatchObject({ name: 'renamed-in-v1', min_ram: 512, visibility: 'shared', os_hidden: true, status: 'active', checksum: md5(data) });
    expect([...v2.tags].sort()).toEqual(['a', 'b']);
    expect(v2Extras(v2)).toEqual({ added_v1: 'x' });
    const members = (await api.call('GET', `/v2/images/${id}/members`, { headers: OWNER })).json().members;
    expect(members.map((m: { member_id: string }) => m.member_id)).toEqual(['v1reader']);
    const keep = await putV1(api, id, { ...meta({}, { second: 'y' }), 'x-glance-registry-purge-props': 'false', ...OWNER });
    expect(keep.status).toBe(200);
    const after = await v2Get(id, OWNER);
    expect(v2Extras(after)).toEqual({ added_v1: 'x', second: 'y' });
    expect([...after.tags].sort()).toEqual(['a', 'b']);
    expect(after.os_hidden).toBe(true);
  });

  it('formats of an active image: the same value is accepted, a change is 403 (v2 locks them)', async () => {
    expect((await putV1(api, id, { ...meta({ disk_format: 'qcow2' }), 'x-glance-registry-purge-props': 'false', ...OWNER })).status).toBe(200);
    const r = await putV1(api, id, { ...meta({ disk_format: 'raw' }), 'x-glance-registry-purge-props': 'false', ...OWNER });
    expect(r.status).toBe(403);
    expect((await v2Get(id, OWNER)).disk_format).toBe('qcow2');
  });

  it('v2 statuses map for v1: uploading shows as saving; deactivated blocks the v1 download', async () => {
    const img = (await api.call('POST', '/v2/images', { headers: OWNER, body: { name: 'staged', ...RAW } })).json();
    const stage = await api.call('PUT', `/v2/images/${img.id}/stage`, { headers: { ...OWNER, 'Content-Type': 'application/octet-stream' }, body: Buffer.from('st') });
    expect(stage.status).toBe(204);
    expect((await v2Get(img.id, OWNER)).status).toBe('uploading');
    expect((await headMeta(api, img.id, OWNER)).fields.status).toBe('saving');
    expect((await api.call('POST', `/v2/images/${id}/actions/deactivate`)).status).toBe(204);
    expect((await headMeta(api, id, OWNER)).fields.status).toBe('deactivated');
    expect((await api.call('GET', `/v1/images/${id}`, { headers: OWNER })).status).toBe(403);
  });

  it('deleted in v1, gone in v2; deleted in v2, gone in v1', async () => {
    const a = (await api.call('POST', '/v2/images', { headers: OWNER, body: { name: 'del-a' } })).json();
    expect((await api.call('DELETE', `/v1/images/${a.id}`, { headers: OWNER })).status).toBe(200);
    expect((await api.call('GET', `/v2/images/${a.id}`, { headers: OWNER })).status).toBe(404);
    const b = await createV1(api, { ...meta({ name: 'del-b' }), ...OWNER });
    expect((await api.call('DELETE', `/v2/images/${b.id}`, { headers: OWNER })).status).toBe(204);
    expect((await headV1(api, b.id, OWNER)).status).toBe(404);
    // Upstream mode: v2 never shows deleted images (README, upstream deviations).
    if (upstreamMode) expect((await headV1(api, b.id)).status).toBe(404);
    else expect((await headMeta(api, b.id)).fields.status).toBe('deleted');
  });
});
