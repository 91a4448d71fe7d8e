/** GET /v2/images: filters, sorting, links, pagination, query errors (spec v2 §5.3). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, createImage, plainError, sleep, startApi, uploadImage, type Api } from '../support/api-gateway.js';

let api: Api;
const P = as('lister');
type Img = { id: string; created_at: string; name: string | null };
const imgs = {} as Record<'a' | 'b' | 'c' | 'h' | 's' | 'other', Img>;

beforeAll(async () => {
  api = await startApi();
  const base = { scope: 'L', disk_format: 'raw', container_format: 'bare' };
  imgs.a = await createImage(api, { ...base, name: 'alpha', tags: ['x', 'y'], os_distro: 'ubuntu', min_ram: 256 }, P);
  await sleep(5);
  imgs.b = await createImage(api, { ...base, name: 'beta', tags: ['x'], visibility: 'private' }, P);
  await sleep(5);
  imgs.c = await createImage(api, { scope: 'L', name: 'gamma', protected: true, visibility: 'community' }, P);
  imgs.h = await createImage(api, { ...base, name: 'hidden', os_hidden: true }, P);
  await sleep(5);
  imgs.s = await createImage(api, { ...base, name: 'two words' }, P);
  imgs.other = await createImage(api, { scope: 'L', name: 'others', visibility: 'community' }, as('someone-else'));
  await uploadImage(api, imgs.a.id, Buffer.alloc(10), P);
  await uploadImage(api, imgs.b.id, Buffer.alloc(100), P);
});
afterAll(async () => {
  await api?.close();
});

async function list(query: string, headers = P) {
  const r = await api.call('GET', `/v2/images?${query}`, { headers });
  expect(r.status, r.text).toBe(200);
  return r.json();
}
const names = async (query: string, headers = P): Promise<string[]> =>
  ((await list(`scope=L&${query}`, headers)).images as Array<{ name: string }>).map((i) => i.name).sort();

describe('filters', () => {
  it.each<[string, string[]]>([
    ['', ['alpha', 'beta', 'gamma', 'two words']],
    ['name=alpha', ['alpha']],
    ['name=eq:alpha', ['alpha']],
    ['name=in:alpha,gamma,nope', ['alpha', 'gamma']],
    ['name=in:"alpha","two words"', ['alpha', 'two words']],
    ['name=two+words', ['two words']],
    ['status=active', ['alpha', 'beta']],
    ['status=in:queued', ['gamma', 'two words']],
    ['status=bogus', []],
    ['tag=x', ['alpha', 'beta']],
    ['tag=x&tag=y', ['alpha']],
    ['tag=y&tag=z', []],
    ['os_distro=ubuntu', ['alpha']],
    ['os_distro=fedora', []],
    ['visibility=private', ['beta']],
    ['visibility=community', ['gamma', 'others']],
    ['visibility=all', ['alpha', 'beta', 'gamma', 'others', 'two words']],
    ['os_hidden=true', ['hidden']],
    ['os_hidden=TRUE', ['hidden']],
    ['os_hidden=false', ['alpha', 'beta', 'gamma', 'two words']],
    ['size_min=50', ['beta']],
    ['size_max=50', ['alpha']],
    ['size_min=10&size_max=100', ['alpha', 'beta']],
    ['size=10', ['alpha']],
    ['min_ram=256', ['alpha']],
    ['min_ram_min=1', ['alpha']],
    ['protected=true', ['gamma']],
    ['protected=false', ['alpha', 'beta', 'two words']],
    ['owner=lister', ['alpha', 'beta', 'gamma', 'two words']],
    ['owner=nobody', []],
    ['disk_format=raw', ['alpha', 'beta', 'two words']],
    ['container_format=in:bare,ovf', ['alpha', 'beta', 'two words']],
    ['created_at=lt:2999-01-01T00:00:00Z', ['alpha', 'beta', 'gamma', 'two words']],
    ['created_at=gt:2999-01-01T00:00:00Z', []],
    ['created_at=gte:2000-01-01T00:00:00Z', ['alpha', 'beta', 'gamma', 'two words']],
    ['updated_at=lte:2000-01-01T00:00:00Z', []],
    ['created_at=neq:2000-01-01T00:00:00Z', ['alpha', 'beta', 'gamma', 'two words']],
    ['limit=100', ['alpha', 'beta', 'gamma', 'two words']],
  ])('?%s', async (query, expected) => {
    expect(await names(query)).toEqual(expected);
  });

  it('a created_at equal to the image second matches it', async () => {
    const r = await names(`created_at=${encodeURIComponent(imgs.a.created_at)}&name=alpha`);
    expect(r).toEqual(['alpha']);
  });

  it('member_status applies to shared images of others', async () => {
    const shared = await createImage(api, { scope: 'M', name: 'shared-with-me' }, as('sharer'));
    const m = await api.call('POST', `/v2/images/${shared.id}/members`, { headers: as('sharer'), body: { member: 'lister' } });
    expect(m.status).toBe(200);
    const q = async (qs: string) => ((await list(`scope=M&${qs}`)).images as unknown[]).length;
    expect(await q('')).toBe(0);
    expect(await q('member_status=pending')).toBe(1);
    expect(await q('member_status=all&visibility=shared')).toBe(1);
    expect(await q('member_status=accepted')).toBe(0);
  });
});

describe('sorting', () => {
  const order = async (query: string) => ((await list(`scope=L&${query}`)).images as Array<{ name: string }>).map((i) => i.name);

  it.each<[string, string[]]>([
    ['sort_key=name&sort_dir=asc', ['alpha', 'beta', 'gamma', 'two words']],
    ['sort_key=name', ['two words', 'gamma', 'beta', 'alpha']],
    ['sort=name:asc', ['alpha', 'beta', 'gamma', 'two words']],
    ['sort=name', ['two words', 'gamma', 'beta', 'alpha']],
    ['sort=size:desc,name:asc', ['beta', 'alpha', 'gamma', 'two words']],
    ['sort_key=size&sort_key=name&sort_dir=desc&sort_dir=asc', ['beta', 'alpha', 'gamma', 'two words']],
    ['sort_key=status&sort_key=name&sort_dir=asc', ['alpha', 'beta', 'gamma', 'two words']],
  ])('?%s', async (query, expected) => {
    expect(await order(query)).toEqual(expected);
  });

  it('default order: newest first (created_at desc); sort_dir=asc alone reverses it', async () => {
    expect(await order('')).toEqual(['two words', 'gamma', 'beta', 'alpha']);
    expect(await order('sort_dir=asc')).toEqual(['alpha', 'beta', 'gamma', 'two words']);
  });
});

describe('links and pagination', () => {
  it('body keys, first without marker, next with marker last', async () => {
    const body = await list('scope=L&limit=2&sort_key=name&sort_dir=asc');
    expect(Object.keys(body)).toEqual(['images', 'first', 'schema', 'next']);
    expect(body.schema).toBe('/v2/schemas/images');
    expect(body.first).toBe('/v2/images?scope=L&limit=2&sort_key=name&sort_dir=asc');
    expect(body.next).toBe(`/v2/images?scope=L&limit=2&sort_key=name&sort_dir=asc&marker=${body.images[1].id}`);
    const page2 = await list(`scope=L&limit=2&marker=${body.images[1].id}&sort_key=name&sort_dir=asc`);
    expect(page2.first).toBe('/v2/images?scope=L&limit=2&sort_key=name&sort_dir=asc');
  });

  it('no query → first is /v2/images; a short page has no next', async () => {
    const body = await list('');
    expect(body.first).toBe('/v2/images');
    expect(body).not.toHaveProperty('next');
  });

  it('values are re-encoded like quote_plus', async () => {
    const body = await list('scope=L&name=in:alpha,two%20words');
    expect(body.first).toBe('/v2/images?scope=L&name=in%3Aalpha%2Ctwo+words');
  });

  it('following next (as openstacksdk does) visits every image once, in order', async () => {
    const all = ((await list('scope=L&visibility=all&sort=name:asc')).images as Array<{ id: string }>).map((i) => i.id);
    expect(all).toHaveLength(5);
    const seen: string[] = [];
    let next: string | undefined = '/v2/images?scope=L&visibility=all&sort=name:asc&limit=2';
    for (let guard = 0; next !== undefined && guard < 10; guard++) {
      expect(next.startsWith('/v2/')).toBe(true);
      const r = await api.call('GET', next, { headers: P });
      expect(r.status).toBe(200);
      const body = r.json();
      seen.push(...body.images.map((i: { id: string }) => i.id));
      next = body.next;
    }
    expect(seen).toEqual(all);
  });

  it('a last page of exactly limit still has next; the page after is empty', async () => {
    const body = await list('scope=L&limit=4');
    expect(body.images).toHaveLength(4);
    expect(body.next).toBeDefined();
    const r = await api.call('GET', body.next, { headers: P });
    expect(r.json().images).toEqual([]);
    expect(r.json()).not.toHaveProperty('next');
  });

  it('without limit the page holds limit_param_default (25) images and has next', async () => {
    for (let i = 0; i < 26; i++) await createImage(api, { scope: 'D', name: `d${i}` }, P);
    const body = await list('scope=D');
    expect(body.images).toHaveLength(25);
    expect(body.next).toBe(`/v2/images?scope=D&marker=${body.images[24].id}`);
    const rest = (await api.call('GET', body.next, { headers: P })).json();
    expect(rest.images).toHaveLength(1);
    expect(rest).not.toHaveProperty('next');
  });

  it('limit=0 → empty, no next; limit above api_limit_max is clamped', async () => {
    const zero = await list('scope=L&limit=0');
    expect(zero.images).toEqual([]);
    expect(zero).not.toHaveProperty('next');
    expect((await list('scope=L&limit=5000')).images).toHaveLength(4);
  });
});

describe('query errors → 400', () => {
  it.each<[string, string]>([
    ['marker=00000000-0000-0000-0000-000000000000', 'No image found with ID 00000000-0000-0000-0000-000000000000'],
    ['sort_key=bogus', 'Invalid sort key: bogus. It must be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.'],
    ['sort=bogus:asc', 'Invalid sort key: bogus. It must be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.'],
    ['sort_dir=up', 'Invalid sort direction: up'],
    ['sort=name:up', 'Invalid sort direction: up'],
    ['sort=name&sort_key=id', 'Old and new sorting syntax cannot be combined'],
    ['sort_key=name&sort_key=id&sort_dir=asc&sort_dir=desc&sort_dir=asc', 'Number of sort dirs does not match the number of sort keys'],
    ['limit=abc', 'limit param must be an integer'],
    ['limit=-1', 'limit param must be positive'],
    ['visibility=bogus', 'Invalid visibility value: bogus'],
    ['member_status=bogus', 'Invalid status: bogus'],
    ['protected=yes', "Invalid value 'yes' for 'protected' filter. Valid values are 'true' or 'false'."],
    ['os_hidden=maybe', "Invalid value 'maybe' for 'os_hidden' filter. Valid values are 'true' or 'false'."],
    ['size_min=abc', 'Unable to filter on a range with a non-numeric value.'],
    ['changes-since=2020-01-01T00:00:00Z', 'The "changes-since" filter is no longer available on v2.'],
    ['created_at=gt:notadate', 'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.'],
    ['created_at=foo:2020-01-01T00:00:00Z', 'Unable to filter on a unknown operator.'],
    ['name=foo:bar', "Unable to filter by unknown operator 'foo'."],
    ['name=in:"a', 'Invalid filter value "a. The quote is not closed.'],
    ['name=in:a"b"', 'Invalid filter value a"b". There is no comma before opening quotation mark.'],
    ['name=in:"a"b', 'Invalid filter value "a"b. There is no comma after closing quotation mark.'],
  ])('?%s', async (query, message) => {
    const r = await api.call('GET', `/v2/images?${query}`, { headers: P });
    expect(r.status).toBe(400);
    expect(r.text).toBe(plainError('400 Bad Request', message));
  });

  it('?x_min=1 (not a numeric column) → 400, not 500', async () => {
    for (const q of ['x_min=1', 'name_max=3', 'foo_min=abc']) {
      const r = await api.call('GET', `/v2/images?${q}`, { headers: P });
      expect(r.status, q).toBe(400);
    }
  });

  it('a marker the caller cannot see → 403', async () => {
    const priv = await createImage(api, { visibility: 'private' }, as('secretive'));
    const r = await api.call('GET', `/v2/images?marker=${priv.id}`, { headers: P });
    expect(r.status).toBe(403);
    expect(r.text).toBe(plainError('403 Forbidden', `Forbidding request, image ${priv.id} not visible`));
  });

  it('a deleted marker → 400', async () => {
    const img = await createImage(api, {}, P);
    expect((await api.call('DELETE', `/v2/images/${img.id}`, { headers: P })).status).toBe(204);
    const r = await api.call('GET', `/v2/images?marker=${img.id}`, { headers: P });
    expect(r.status).toBe(400);
  });
});
