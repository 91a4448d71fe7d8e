/** GET /v1/images and /v1/images/detail (spec v1 §3.2, §1.5). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, INDEX_KEYS, RAW, V1_KEYS, as, createV1, detail, meta, postV1, sleep, startApi, upstreamMode, type Api } from './v1-helpers.js';

let api: Api;
const S = 'suite=list1';
const ids: Record<string, string> = {};

beforeAll(async () => {
  api = await startApi();
  const mk = async (key: string, name: string, fields: Record<string, string>, color: string, data?: Buffer) => {
    ids[key] = (await createV1(api, meta({ name, ...fields }, { suite: 'list1', color }), data)).id;
    await sleep(5); // distinct created_at values for the default order
  };
  await mk('a', 'alpha', { disk_format: 'ari', container_format: 'ari' }, 'red', Buffer.alloc(42));
  await mk('b', 'bravo', { disk_format: 'ami', container_format: 'ami' }, 'blue', Buffer.alloc(142));
  await mk('c', 'charlie', RAW, 'red', Buffer.alloc(142, 1));
  await mk('d', 'delta', RAW, 'green');
  // A killed image (declared size does not match) and a deleted one.
  const k = await postV1(api, meta({ name: 'killed', ...RAW, size: 5 }, { suite: 'list1', color: 'red' }), Buffer.alloc(3));
  expect(k.status).toBe(400);
  await mk('e', 'echo', RAW, 'red');
  expect((await api.call('DELETE', `/v1/images/${ids.e}`)).status).toBe(200);
});
afterAll(async () => {
  await api.close();
});

const idsOf = (images: Array<{ id: string }>): string[] => images.map((i) => i.id);
const namesOf = (images: Array<{ name: string }>): string[] => images.map((i) => i.name);

describe('representation', () => {
  it('index items carry exactly 6 keys, detail items 18; no links', async () => {
    const r = await api.call('GET', `/v1/images?property-${S}`);
    expect(r.status).toBe(200);
    expect(r.header('content-type')).toMatch(/^application\/json/);
    const body = r.json();
    expect(Object.keys(body)).toEqual(['images']);
    expect(body.images.length).toBe(4);
    for (const i of body.images) expect(Object.keys(i).sort()).toEqual(INDEX_KEYS);
    const items = await detail(api, `property-${S}`);
    for (const i of items) expect(Object.keys(i).sort()).toEqual(V1_KEYS);
    expect(items.find((i) => i.id === ids.d)).toMatchObject({ size: 0, status: 'queued', properties: { suite: 'list1', color: 'green' } });
  });

  it('an empty result is exactly {"images": []}', async () => {
    const r = await api.call('GET', '/v1/images?name=nothing-has-this-name');
    expect(r.text.replace(/\s/g, '')).toBe('{"images":[]}');
  });

  it('GET /v1/ is the index; /v1 is 404; HEAD /v1/images/detail is 405 Allow: GET', async () => {
    const index = await api.call('GET', '/v1/');
    expect(index.status).toBe(200);
    const all = (await api.call('GET', '/v1/images')).json();
    expect(index.json()).toEqual(all);
    // Real v1 routed any method on `/v1/` to the index [Q].
    expect((await api.call('DELETE', '/v1/')).json()).toEqual(all);
    expect((await api.call('GET', '/v1')).status).toBe(404);
    const head = await api.call('HEAD', '/v1/images/detail');
    expect(head.status).toBe(405);
    expect(head.header('allow')).toBe('GET');
    expect(head.body.length).toBe(0);
  });
});

describe('filters', () => {
  it('name, status, container_format, disk_format', async () => {
    expect(idsOf(await detail(api, `property-${S}&name=bravo`))).toEqual([ids.b]);
    expect(idsOf(await detail(api, `property-${S}&status=queued`))).toEqual([ids.d]);
    expect(idsOf(await detail(api, `property-${S}&container_format=ami`))).toEqual([ids.b]);
    expect(idsOf(await detail(api, `property-${S}&disk_format=ari`))).toEqual([ids.a]);
    const active = await detail(api, `property-${S}&status=active`);
    expect(new Set(idsOf(active))).toEqual(new Set([ids.a, ids.b, ids.c]));
  });

  it('killed images are never listed, even with status=killed', async () => {
    expect(await detail(api, `property-${S}&status=killed`)).toEqual([]);
    expect(namesOf(await detail(api, `property-${S}`))).not.toContain('killed');
    expect(namesOf((await api.call('GET', `/v1/images?property-${S}`)).json().images)).not.toContain('killed');
  });

  it('size_min and size_max', async () => {
    const big = await detail(api, `property-${S}&size_min=142`);
    expect(new Set(idsOf(big))).toEqual(new Set([ids.b, ids.c]));
    const small = await detail(api, `property-${S}&size_max=42`);
    expect(idsOf(small)).toContain(ids.a);
    expect(idsOf(small)).not.toContain(ids.b);
    for (const i of small) expect(i.size).toBeLessThanOrEqual(42);
    expect(idsOf(await detail(api, `property-${S}&size_min=42&size_max=42`))).toEqual([ids.a]);
  });

  it('property-<k>: exact, several are ANDed', async () => {
    expect(new Set(idsOf(await detail(api, `property-${S}&property-color=red`)))).toEqual(new Set([ids.a, ids.c]));
    expect(idsOf(await detail(api, `property-${S}&property-color=red&name=charlie`))).toEqual([ids.c]);
    expect(await detail(api, `property-${S}&property-color=re`)).toEqual([]);
  });

  it('protected, min_ram (exact equality [Q]), date-only changes-since; deleted is ignored', async () => {
    const p = await createV1(api, meta({ name: 'prot', protected: true, min_ram: 64 }, { suite: 'list3' }));
    const q = await createV1(api, meta({ name: 'unprot', min_ram: 128 }, { suite: 'list3' }));
    const both = new Set([p.id, q.id]);
    expect(idsOf(await detail(api, 'property-suite=list3&protected=true'))).toEqual([p.id]);
    expect(idsOf(await detail(api, 'property-suite=list3&protected=False'))).toEqual([q.id]);
    expect(idsOf(await detail(api, 'property-suite=list3&min_ram=64'))).toEqual([p.id]);
    expect(await detail(api, 'property-suite=list3&min_ram=100')).toEqual([]);
    for (const since of ['2012-01-01', '20120101', '2012-01-01T00:00:00+02:00']) {
      expect(new Set(idsOf(await detail(api, `property-suite=list3&changes-since=${encodeURIComponent(since)}`))), since).toEqual(both);
    }
    expect(new Set(idsOf(await detail(api, 'property-suite=list3&deleted=true')))).toEqual(both);
  });

  it('changes-since reveals deleted and killed images; without it they are hidden', async () => {
    expect(idsOf(await detail(api, `property-${S}`))).not.toContain(ids.e);
    const since = await detail(api, 'changes-since=2000-01-01T00:00:00Z&limit=1000');
    const deleted = since.find((i) => i.id === ids.e);
    if (upstreamMode) {
      // Upstream mode: v2 never shows deleted images (README, upstream deviations).
      expect(deleted).toBeUndefined();
    } else {
      expect(deleted).toMatchObject({ status: 'deleted', deleted: true });
      expect(deleted.deleted_at).not.toBeNull();
    }
    expect(since.find((i) => i.name === 'killed')).toMatchObject({ status: 'killed' });
    const future = await detail(api, `changes-since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
    expect(future).toEqual([]);
  });

  it('is_public for admins: absent = as a user, false = all non-public, None = all; ignored for others', async () => {
    const alice = await createV1(api, { ...meta({ name: 'alices', ...RAW }, { suite: 'list2' }), ...as('alice') });
    const pub = await createV1(api, meta({ name: 'public', ...RAW, is_public: true }, { suite: 'list2' }));
    const q = 'property-suite=list2';
    expect(idsOf(await detail(api, q))).toEqual([pub.id]);
    expect(idsOf(await detail(api, `${q}&is_public=true`))).toEqual([pub.id]);
    expect(idsOf(await detail(api, `${q}&is_public=false`))).toEqual([alice.id]);
    expect(new Set(idsOf(await detail(api, `${q}&is_public=None`)))).toEqual(new Set([alice.id, pub.id]));
    expect(new Set(idsOf(await detail(api, `${q}&is_public=false`, as('alice'))))).toEqual(new Set([alice.id, pub.id]));
    expect(idsOf(await detail(api, q, as('bob')))).toEqual([pub.id]);
  });
});

describe('sorting and paging', () => {
  it('default order is created_at desc', async () => {
    expect(idsOf(await detail(api, `property-${S}`))).toEqual([ids.d, ids.c, ids.b, ids.a]);
  });

  it('sort_key and sort_dir', async () => {
    expect(namesOf(await detail(api, `property-${S}&sort_key=name&sort_dir=asc`))).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
    expect(namesOf(await detail(api, `property-${S}&sort_key=name`))).toEqual(['delta', 'charlie', 'bravo', 'alpha']);
    const bySize = await detail(api, `property-${S}&status=active&sort_key=size&sort_dir=desc`);
    const sizes = bySize.map((i) => i.size as number);
    expect(sizes).toEqual([...sizes].sort((x, y) => y - x));
    expect(sizes[sizes.length - 1]).toBe(42);
  });

  it('limit and marker page through without overlap', async () => {
    const q = `property-${S}&sort_key=name&sort_dir=asc&limit=2`;
    const p1 = await detail(api, q);
    expect(namesOf(p1)).toEqual(['alpha', 'bravo']);
    const p2 = await detail(api, `${q}&marker=${ids.b}`);
    expect(namesOf(p2)).toEqual(['charlie', 'delta']);
    expect(await detail(api, `${q}&marker=${ids.d}`)).toEqual([]);
    expect(await detail(api, `property-${S}&limit=0`)).toEqual([]);
    const index = await api.call('GET', `/v1/images?${q}&marker=${ids.a}`);
    expect(namesOf(index.json().images)).toEqual(['bravo', 'charlie']);
  });

  it('the default page size is 25', async () => {
    for (let i = 0; i < 26; i++) await createV1(api, meta({ name: `many${i}` }, { suite: 'many' }));
    expect((await detail(api, 'property-suite=many')).length).toBe(25);
    expect((await detail(api, 'property-suite=many&limit=26')).length).toBe(26);
  });
});

describe('bad queries are 400', () => {
  const cases: Array<[string, string]> = [
    ['marker=not-a-uuid', 'Invalid marker format'],
    ['marker=9d0b6d4e-4c3f-4a55-9ba1-0f9f3c9bd6a1', 'Invalid marker. Image could not be found.'],
    ['limit=abc', 'limit param must be an integer'],
    ['limit=-1', 'limit param must be positive'],
    ['sort_key=owner', 'Unsupported sort_key. Acceptable values: name, status, container_format, disk_format, size, id, created_at, updated_at'],
    ['sort_dir=up', 'Unsupported sort_dir. Acceptable values: asc, desc'],
    ['size_min=-1', 'Bad value passed to filter size_min got -1'],
    ['size_max=big', 'Bad value passed to filter size_max got big'],
    ['is_public=maybe', 'Bad value passed to filter is_public got maybe'],
    ['protected=maybe', 'Bad value passed to filter protected got maybe'],
    ['changes-since=yesterday', 'Unrecognized changes-since value'],
    ['changes-since=', 'Unrecognized changes-since value'],
  ];
  for (const [query, message] of cases) {
    it(query, async () => {
      for (const path of ['/v1/images', '/v1/images/detail']) {
        const r = await api.call('GET', `${path}?${query}`, { headers: ADMIN });
        expect(r.status, path).toBe(400);
        expect(r.text).toContain(message);
      }
    });
  }

  it('a marker of an image invisible to the caller is 400', async () => {
    const r = await api.call('GET', `/v1/images/detail?marker=${ids.a}`, { headers: as('bob') });
    expect(r.status).toBe(400);
  });
});
