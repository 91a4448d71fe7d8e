/** The v1 status behaviour matrix (spec v1 §5), one image per status, driven row by row. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, RAW, as, createV1, detail, headV1, meta, postV1, putV1, startApi, upstreamMode, type Api } from './v1-helpers.js';

let api: Api;
const OWNER = as('matrix');
const ids: Record<string, string> = {};

/** A fresh image of owner OWNER in the given v1 status. */
async function imageIn(status: string, name: string): Promise<string> {
  const props = { suite: 'matrix' };
  switch (status) {
    case 'queued':
      return (await createV1(api, { ...meta({ name, ...RAW }, props), ...OWNER })).id;
    case 'active':
      return (await createV1(api, { ...meta({ name, ...RAW }, props), ...OWNER }, Buffer.from('active bytes'))).id;
    case 'saving': {
      // v2 glance-direct staging leaves the image `uploading`, which v1 shows as `saving`.
      const id = await imageIn('queued', name);
      const r = await api.call('PUT', `/v2/images/${id}/stage`, { headers: { ...OWNER, 'Content-Type': 'application/octet-stream' }, body: Buffer.from('st') });
      expect(r.status).toBe(204);
      return id;
    }
    case 'deactivated': {
      const id = await imageIn('active', name);
      expect((await api.call('POST', `/v2/images/${id}/actions/deactivate`, { headers: ADMIN })).status).toBe(204);
      return id;
    }
    case 'killed': {
      const id = await imageIn('queued', name);
      expect((await putV1(api, id, { ...OWNER, 'x-image-meta-size': '99' }, Buffer.from('short'))).status).toBe(400);
      return id;
    }
    default:
      throw new Error(status);
  }
}

const STATUSES = ['queued', 'saving', 'active', 'deactivated', 'killed'] as const;

beforeAll(async () => {
  api = await startApi();
  for (const s of STATUSES) ids[s] = await imageIn(s, `m-${s}`);
});
afterAll(async () => {
  await api.close();
});

// [status, GET data, PUT body, listed]
const ROWS: Array<[string, number, number, boolean]> = [
  ['queued', 404, 200, true],
  ['saving', 404, 409, true],
  ['active', 200, 409, true],
  ['deactivated', 403, 409, true],
  ['killed', 404, 409, false],
];

describe.each(ROWS)('%s image', (status, getData, putBody, listed) => {
  it(`HEAD 200 with x-image-meta-status: ${status}`, async () => {
    const r = await headV1(api, ids[status]!, OWNER);
    expect(r.status).toBe(200);
    expect(r.header('x-image-meta-status')).toBe(status);
  });

  it(`GET data ${getData}`, async () => {
    expect((await api.call('GET', `/v1/images/${ids[status]}`, { headers: OWNER })).status).toBe(getData);
  });

  it(`${listed ? 'is' : 'is not'} listed`, async () => {
    const found = (await detail(api, 'property-suite=matrix&limit=100', OWNER)).map((i) => i.id);
    expect(found.includes(ids[status]!)).toBe(listed);
    expect((await detail(api, 'property-suite=matrix&changes-since=2000-01-01', OWNER)).map((i) => i.id)).toContain(ids[status]);
  });

  it('PUT metadata is ok and does not change the status', async () => {
    const r = await putV1(api, ids[status]!, { ...meta({ min_ram: 8 }, { suite: 'matrix' }), ...OWNER });
    expect(r.status, r.text).toBe(200);
    expect(r.json().image).toMatchObject({ status, min_ram: 8 });
  });

  it(`PUT body ${putBody}`, async () => {
    const id = await imageIn(status, `body-${status}`);
    const r = await putV1(api, id, OWNER, Buffer.from('new data'));
    expect(r.status, r.text).toBe(putBody);
    const expected = putBody === 200 ? 'active' : status;
    expect((await headV1(api, id, OWNER)).header('x-image-meta-status')).toBe(expected);
  });

  it(`PUT location / copy-from ${status === 'queued' ? 'passes the status check' : '400'}`, async () => {
    const id = await imageIn(status, `loc-${status}`);
    // 203.0.113.0/24 is documentation space: refused by the fetch guard, never contacted.
    const r = await putV1(api, id, { ...OWNER, 'x-image-meta-location': 'http://203.0.113.7/img' });
    expect(r.status).toBe(400);
    if (status !== 'queued') expect(r.text).toContain('Attempted to update Location field for an image not in queued status.');
    else expect(r.text).not.toContain('not in queued status');
  });

  it('DELETE 200, then HEAD shows deleted to admins and 404 to the owner', async () => {
    const id = await imageIn(status, `del-${status}`);
    const r = await api.call('DELETE', `/v1/images/${id}`, { headers: OWNER });
    expect(r.status, r.text).toBe(200);
    expect((await headV1(api, id, OWNER)).status).toBe(404);
    // Upstream mode: v2 never shows deleted images (README, upstream deviations).
    if (upstreamMode) expect((await headV1(api, id, ADMIN)).status).toBe(404);
    else expect((await headV1(api, id, ADMIN)).header('x-image-meta-status')).toBe('deleted');
  });
});

describe('deleted image', () => {
  it('HEAD admin 200 / owner 404, GET 404, PUT 403 (admin), DELETE 404, listed only with changes-since', async () => {
    const id = await imageIn('active', 'm-deleted');
    expect((await api.call('DELETE', `/v1/images/${id}`, { headers: OWNER })).status).toBe(200);
    if (upstreamMode) {
      // Upstream mode: v2 never shows deleted images (README, upstream deviations).
      expect((await headV1(api, id, ADMIN)).status).toBe(404);
      expect((await putV1(api, id, meta({ name: 'x' }))).status).toBe(404);
      expect((await api.call('DELETE', `/v1/images/${id}`)).status).toBe(404);
      expect((await detail(api, 'changes-since=2000-01-01&limit=1000&is_public=None')).map((i) => i.id)).not.toContain(id);
      return;
    }
    expect((await headV1(api, id, ADMIN)).status).toBe(200);
    expect((await headV1(api, id, OWNER)).status).toBe(404);
    expect((await api.call('GET', `/v1/images/${id}`)).status).toBe(404);
    expect((await putV1(api, id, meta({ name: 'x' }))).status).toBe(403);
    expect((await putV1(api, id, { ...meta({ name: 'x' }), ...OWNER })).status).toBe(404);
    expect((await api.call('DELETE', `/v1/images/${id}`)).status).toBe(404);
    expect((await detail(api, 'property-suite=matrix&limit=100', OWNER)).map((i) => i.id)).not.toContain(id);
    expect((await detail(api, 'changes-since=2000-01-01&limit=1000&is_public=None')).map((i) => i.id)).toContain(id);
    expect((await detail(api, 'changes-since=2000-01-01&limit=1000', OWNER)).map((i) => i.id)).toContain(id);
  });

  it('a POST of data with a mismatching size kills the image it reserved (upload → killed)', async () => {
    const r = await postV1(api, { ...meta({ name: 'killed-by-post', ...RAW, size: 1 }), ...OWNER }, Buffer.from('two'));
    expect(r.status).toBe(400);
    const gone = await detail(api, 'name=killed-by-post&changes-since=2000-01-01', OWNER);
    expect(gone.map((i) => i.status)).toEqual(['killed']);
  });
});
