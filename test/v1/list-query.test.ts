import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../src/core/context.js';
import { isUuidLike, parseV1ListQuery, type V1ListQuery } from '../../src/http/v1/list-query.js';
import { ctxs, ID, thrown } from './fixtures.js';

const LIMITS = { defaultLimit: 25, maxLimit: 1000 };
const parse = (qs: string, ctx: RequestContext = ctxs.owner, limits = LIMITS): V1ListQuery =>
  parseV1ListQuery(new URLSearchParams(qs), ctx, limits);
const filters = (qs: string, ctx: RequestContext = ctxs.owner) => parse(qs, ctx).query.filters;
const error = (qs: string, ctx: RequestContext = ctxs.owner) => thrown(() => parse(qs, ctx));

describe('parseV1ListQuery: defaults', () => {
  it('non-admin, no parameters', () => {
    expect(parse('')).toStrictEqual({
      query: {
        filters: { member_status: 'all' },
        sort: [{ key: 'created_at', dir: 'desc' }],
        defaultDir: 'desc',
        limit: 25,
      },
      extras: { includeDeletedAndKilled: false, adminScope: null },
    });
  });

  it('the default limit is clamped to the maximum', () => {
    expect(parse('', ctxs.owner, { defaultLimit: 50, maxLimit: 10 }).query.limit).toBe(10);
  });
});

describe('parseV1ListQuery: visibility scope (is_public)', () => {
  it.each([
    ['', 'as-user'],
    ['is_public=true', 'as-user'],
    ['is_public=1', 'as-user'],
    ['is_public=TRUE', 'as-user'],
    ['is_public=false', 'non-public'],
    ['is_public=0', 'non-public'],
    ['is_public=None', 'all'],
    ['is_public=none', 'all'],
  ] as const)('admin %j → %s', (qs, scope) => {
    const { query, extras } = parse(qs, ctxs.admin);
    expect(extras.adminScope).toBe(scope);
    expect(query.filters.adminScope).toBe(scope);
    expect(query.filters.visibility).toBeUndefined();
  });

  it.each(['', 'is_public=false', 'is_public=None', 'is_public=true'])('non-admin %j: ignored', (qs) => {
    const { query, extras } = parse(qs);
    expect(extras.adminScope).toBeNull();
    expect(Object.hasOwn(query.filters, 'adminScope')).toBe(false);
  });
});

describe('parseV1ListQuery: filters', () => {
  it('exact-match filters', () => {
    expect(filters('name=New Remote Image dup&status=active&container_format=ami&disk_format=ari')).toStrictEqual({
      member_status: 'all',
      name: { op: 'eq', value: 'New Remote Image dup' },
      status: { op: 'eq', value: 'active' },
      container_format: { op: 'eq', value: 'ami' },
      disk_format: { op: 'eq', value: 'ari' },
    });
  });

  it('operator prefixes are not interpreted: a colon is part of the value', () => {
    expect(filters('name=in:a,b').name).toEqual({ op: 'eq', value: 'in:a,b' });
  });

  it('size range and exact min_ram/min_disk', () => {
    expect(filters('size_min=142&size_max= 1000 &min_ram=40&min_disk=0').numeric).toEqual([
      { column: 'size', op: 'gte', value: 142 },
      { column: 'size', op: 'lte', value: 1000 },
      { column: 'min_ram', op: 'eq', value: 40 },
      { column: 'min_disk', op: 'eq', value: 0 },
    ]);
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['false', false],
    ['False', false],
    ['0', false],
  ])('protected=%s → %s', (v, want) => {
    expect(filters(`protected=${v}`).protected).toBe(want);
  });

  it('property-<key> filters, key verbatim', () => {
    expect(filters('property-os_distro=debian&property-foo-bar=x&property-=empty')).toMatchObject({
      properties: { os_distro: 'debian', 'foo-bar': 'x', '': 'empty' },
    });
    const props = filters('property-__proto__=x').properties as Record<string, string>;
    expect(Object.keys(props)).toEqual(['__proto__']);
  });

  it.each([
    ['2012-01-01', Date.UTC(2012, 0, 1)],
    ['20120101', Date.UTC(2012, 0, 1)],
    ['2012-01-01T10:00:00+02:00', Date.UTC(2012, 0, 1, 8)],
    ['2016-05-10T21:41:41.123456', Date.UTC(2016, 4, 10, 21, 41, 41, 123)],
  ])('changes-since=%s → updated_at > T, gone images included', (v, ms) => {
    const { query, extras } = parse(`changes-since=${encodeURIComponent(v)}`);
    expect(query.filters.dates).toEqual([{ column: 'updated_at', op: 'gt', value: ms }]);
    expect(query.filters.includeGone).toBe(true);
    expect(extras.includeDeletedAndKilled).toBe(true);
  });

  it('deleted and unknown parameters are ignored', () => {
    expect(filters('deleted=true&owner=x&visibility=public&tag=t&os_hidden=true&foo=bar')).toStrictEqual({
      member_status: 'all',
    });
  });

  it('a repeated parameter counts with its last value', () => {
    const q = parse('size_min=-1&size_min=5&sort_key=name&sort_key=size&name=a&name=b').query;
    expect(q.filters.numeric).toEqual([{ column: 'size', op: 'gte', value: 5 }]);
    expect(q.filters.name).toEqual({ op: 'eq', value: 'b' });
    expect(q.sort).toEqual([{ key: 'size', dir: 'desc' }]);
  });
});

describe('parseV1ListQuery: limit, sort, marker', () => {
  it.each([
    ['limit=10', 10],
    ['limit= 10 ', 10],
    ['limit=0', 0],
    ['limit=1000', 1000],
    ['limit=5000', 1000],
  ])('%s → %i', (qs, limit) => {
    expect(parse(qs).query.limit).toBe(limit);
  });

  it('tempest status/sort query', () => {
    const q = parse('status=active&sort_key=size&sort_dir=desc').query;
    expect([q.sort, q.defaultDir]).toEqual([[{ key: 'size', dir: 'desc' }], 'desc']);
  });

  it('sort_dir alone sets the direction of created_at (and of the id tie-breaker)', () => {
    const q = parse('sort_dir=asc').query;
    expect([q.sort, q.defaultDir]).toEqual([[{ key: 'created_at', dir: 'asc' }], 'asc']);
  });

  it.each([ID, ID.toUpperCase(), ID.replace(/-/g, ''), `{${ID}}`, `urn:uuid:${ID}`])('marker %s is passed on verbatim', (m) => {
    expect(parse(`marker=${encodeURIComponent(m)}`).query.marker).toBe(m);
  });

  it('an empty marker is no marker', () => {
    expect(Object.hasOwn(parse('marker=').query, 'marker')).toBe(false);
  });
});

describe('parseV1ListQuery: 400 messages (§3.2)', () => {
  const SORT_KEYS = 'name, status, container_format, disk_format, size, id, created_at, updated_at';
  it.each([
    ['size_min=-1', 'Bad value passed to filter size_min got -1'],
    ['size_min=abc', 'Bad value passed to filter size_min got abc'],
    ['size_max=1.5', 'Bad value passed to filter size_max got 1.5'],
    ['min_ram=-5', 'Bad value passed to filter min_ram got -5'],
    ['min_ram=x', 'Bad value passed to filter min_ram got x'],
    ['min_disk=x', 'Bad value passed to filter min_disk got x'],
    ['protected=maybe', 'Bad value passed to filter protected got maybe'],
    ['protected=none', 'protected must be True, or False'],
    ['is_public=maybe', 'Bad value passed to filter is_public got maybe'],
    ['is_public=', 'Bad value passed to filter is_public got '],
    ['changes-since=garbage', 'Unrecognized changes-since value'],
    ['changes-since=', 'Unrecognized changes-since value'],
    ['changes-since=2012-13-01', 'Unrecognized changes-since value'],
    ['limit=abc', 'limit param must be an integer'],
    ['limit=1.5', 'limit param must be an integer'],
    ['limit=', 'limit param must be an integer'],
    ['limit=-1', 'limit param must be positive'],
    ['sort_key=owner', `Unsupported sort_key. Acceptable values: ${SORT_KEYS}`],
    ['sort_key=', `Unsupported sort_key. Acceptable values: ${SORT_KEYS}`],
    ['sort_dir=up', 'Unsupported sort_dir. Acceptable values: asc, desc'],
    ['sort_dir=ASC', 'Unsupported sort_dir. Acceptable values: asc, desc'],
    ['marker=abc', 'Invalid marker format'],
    [`marker=${ID}0`, 'Invalid marker format'],
  ])('%s → 400 %s', (qs, message) => {
    expect(error(qs)).toEqual({ status: 400, message });
  });

  it('is_public is validated for non-admins too', () => {
    expect(error('is_public=yes', ctxs.owner).message).toBe('Bad value passed to filter is_public got yes');
    expect(error('is_public=yes', ctxs.admin).message).toBe('Bad value passed to filter is_public got yes');
  });

  it.each([
    // The API's filter checks run in query order, before everything else.
    ['size_max=x&size_min=y', 'Bad value passed to filter size_max got x'],
    ['marker=bad&limit=x&protected=no', 'Bad value passed to filter protected got no'],
    // Then the registry: changes-since, protected, limit, sort_key, sort_dir, marker.
    ['marker=bad&sort_dir=x&sort_key=x&limit=x&protected=none&changes-since=x', 'Unrecognized changes-since value'],
    ['marker=bad&sort_dir=x&sort_key=x&limit=x&protected=none', 'protected must be True, or False'],
    ['marker=bad&sort_dir=x&sort_key=x&limit=x', 'limit param must be an integer'],
    ['marker=bad&sort_dir=x&sort_key=x', 'Unsupported sort_key. Acceptable values: name, status, container_format, disk_format, size, id, created_at, updated_at'],
    ['marker=bad&sort_dir=x', 'Unsupported sort_dir. Acceptable values: asc, desc'],
  ])('order: %s → %s', (qs, message) => {
    expect(error(qs).message).toBe(message);
  });
});

describe('isUuidLike (oslo)', () => {
  it.each([
    [ID, true],
    [ID.toUpperCase(), true],
    [ID.replace(/-/g, ''), true],
    [`{${ID}}`, true],
    [`urn:uuid:${ID}`, true],
    ['0c9a3b2e5f1d-4c7a-9e8b-1a2b3c4d5e6f', true],
    [`${ID}0`, false],
    [ID.slice(1), false],
    [ID.replace('0', 'g'), false],
    [` ${ID}`, false],
    ['', false],
  ])('%j → %s', (value, want) => {
    expect(isUuidLike(value)).toBe(want);
  });
});
