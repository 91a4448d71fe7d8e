import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../src/core/errors.js';
import type { ImageFilters, ImageQuery } from '../../src/core/query.js';
import {
  firstAndNextLinks,
  parseImageListQuery,
  parseIsoTime,
  parsePythonInt,
  quotePlus,
  splitInValues,
} from '../../src/http/v2/list-query.js';

const LIMITS = { defaultLimit: 25, maxLimit: 1000 };
const BASE_FILTERS: ImageFilters = { member_status: 'accepted', os_hidden: false };

function parse(qs: string): ImageQuery {
  return parseImageListQuery(new URLSearchParams(qs), LIMITS);
}

function filters(qs: string): ImageFilters {
  return parse(qs).filters;
}

function error(qs: string): string {
  try {
    parse(qs);
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequestError);
    return (e as Error).message;
  }
  throw new Error(`no error for ${qs}`);
}

describe('parseImageListQuery defaults', () => {
  it('empty query', () => {
    expect(parse('')).toEqual({ filters: BASE_FILTERS, sort: [], defaultDir: 'desc', limit: 25 });
  });
  it('default limit is clamped to the maximum', () => {
    expect(parseImageListQuery(new URLSearchParams(''), { defaultLimit: 50, maxLimit: 10 }).limit).toBe(10);
  });
});

describe('limit and marker', () => {
  it.each<[string, number]>([
    ['limit=0', 0],
    ['limit=5', 5],
    ['limit=1000', 1000],
    ['limit=1001', 1000],
    ['limit=99999999999999999999', 1000],
    ['limit=%205%20', 5],
    ['limit=%2B7', 7],
    ['limit=1_0', 10],
    ['limit=-0', 0],
  ])('%s → %i', (qs, limit) => {
    expect(parse(qs).limit).toBe(limit);
  });

  it.each<[string, string]>([
    ['limit=abc', 'limit param must be an integer'],
    ['limit=', 'limit param must be an integer'],
    ['limit=1.5', 'limit param must be an integer'],
    ['limit=-1', 'limit param must be positive'],
    ['limit=1&limit=2', 'Duplicate query parameter: limit'],
  ])('%s → 400 %j', (qs, message) => {
    expect(error(qs)).toBe(message);
  });

  it.each<[string, string | undefined]>([
    ['', undefined],
    ['marker=abc', 'abc'],
    ['marker=', ''],
  ])('%j → marker %j', (qs, marker) => {
    expect(parse(qs).marker).toBe(marker);
  });
});

describe('sorting', () => {
  it.each<[string, ImageQuery['sort'], 'asc' | 'desc']>([
    ['sort_key=name', [{ key: 'name', dir: 'desc' }], 'desc'],
    ['sort_dir=asc', [], 'asc'],
    ['sort_key=name&sort_dir=asc', [{ key: 'name', dir: 'asc' }], 'asc'],
    ['sort_key=%20name%20&sort_dir=%20asc', [{ key: 'name', dir: 'asc' }], 'asc'],
    [
      'sort_key=name&sort_key=size&sort_dir=asc',
      [{ key: 'name', dir: 'asc' }, { key: 'size', dir: 'asc' }],
      'asc',
    ],
    [
      'sort_key=name&sort_dir=asc&sort_key=size&sort_dir=desc',
      [{ key: 'name', dir: 'asc' }, { key: 'size', dir: 'desc' }],
      'desc',
    ],
    ['sort=name', [{ key: 'name', dir: 'desc' }], 'desc'],
    ['sort=name:asc', [{ key: 'name', dir: 'asc' }], 'asc'],
    ['sort=name:', [{ key: 'name', dir: 'desc' }], 'desc'],
    ['sort=%20name%20:%20asc%20', [{ key: 'name', dir: 'asc' }], 'asc'],
    ['sort=name:asc,size:asc', [{ key: 'name', dir: 'asc' }, { key: 'size', dir: 'asc' }], 'desc'],
    ['sort=created_at:asc', [{ key: 'created_at', dir: 'asc' }], 'asc'],
  ])('%s', (qs, sort, defaultDir) => {
    const q = parse(qs);
    expect(q.sort).toEqual(sort);
    expect(q.defaultDir).toBe(defaultDir);
  });

  const KEYS = 'name, status, container_format, disk_format, size, id, created_at, updated_at';
  it.each<[string, string]>([
    ['sort_key=owner', `Invalid sort key: owner. It must be one of the following: ${KEYS}.`],
    ['sort=owner:asc', `Invalid sort key: owner. It must be one of the following: ${KEYS}.`],
    ['sort=', `Invalid sort key: . It must be one of the following: ${KEYS}.`],
    ['sort=name,,size', `Invalid sort key: . It must be one of the following: ${KEYS}.`],
    ['sort_dir=up', 'Invalid sort direction: up'],
    ['sort=name:up', 'Invalid sort direction: up'],
    ['sort=name:asc:x', 'Invalid sort direction: asc:x'],
    ['sort_key=name&sort_dir=asc&sort_dir=desc&sort_key=size&sort_dir=asc', 'Number of sort dirs does not match the number of sort keys'],
    ['sort_dir=asc&sort_dir=desc', 'Number of sort dirs does not match the number of sort keys'],
    ['sort=name&sort_key=size', 'Old and new sorting syntax cannot be combined'],
    ['sort=name&sort_dir=asc', 'Old and new sorting syntax cannot be combined'],
    ['sort=name&sort=size', 'Duplicate query parameter: sort'],
  ])('%s → 400', (qs, message) => {
    expect(error(qs)).toBe(message);
  });
});

describe('filters', () => {
  it.each<[string, ImageFilters]>([
    ['name=foo', { name: { op: 'eq', value: 'foo' } }],
    ['name=eq:foo', { name: { op: 'eq', value: 'foo' } }],
    ['name=eq:a:b', { name: { op: 'eq', value: 'a:b' } }],
    ['name=', { name: { op: 'eq', value: '' } }],
    ['name=2020-01-01T10:00:00', { name: { op: 'eq', value: '2020-01-01T10:00:00' } }],
    ['name=in:a,b', { name: { op: 'in', values: ['a', 'b'] } }],
    ['id=in:x', { id: { op: 'in', values: ['x'] } }],
    ['status=bogus', { status: { op: 'eq', value: 'bogus' } }],
    ['container_format=in:bare,ovf', { container_format: { op: 'in', values: ['bare', 'ovf'] } }],
    ['disk_format=eq:raw', { disk_format: { op: 'eq', value: 'raw' } }],
    ['visibility=public', { visibility: 'public' }],
    ['visibility=all', { visibility: 'all' }],
    ['visibility=', {}],
    ['member_status=all', { member_status: 'all' }],
    ['member_status=pending', { member_status: 'pending' }],
    ['owner=p1', { owner: 'p1' }],
    ['checksum=abc', { checksum: 'abc' }],
    ['os_hash_value=abc', { os_hash_value: 'abc' }],
    ['tag=x86&tag=%2064bit%20', { tags: ['x86', '64bit'] }],
    ['protected=true', { protected: true }],
    ['protected=false', { protected: false }],
    ['os_hidden=TRUE', { os_hidden: true }],
    ['os_hidden=False', { os_hidden: false }],
    ['size_min=10', { numeric: [{ column: 'size', op: 'gte', value: 10 }] }],
    ['size_max=20&size_min=10', { numeric: [{ column: 'size', op: 'lte', value: 20 }, { column: 'size', op: 'gte', value: 10 }] }],
    ['virtual_size_min=1', { numeric: [{ column: 'virtual_size', op: 'gte', value: 1 }] }],
    ['min_ram_max=%2064', { numeric: [{ column: 'min_ram', op: 'lte', value: 64 }] }],
    ['min_disk_min=-1', { numeric: [{ column: 'min_disk', op: 'gte', value: -1 }] }],
    ['min_ram=512', { numeric: [{ column: 'min_ram', op: 'eq', value: 512 }] }],
    ['size=0', { numeric: [{ column: 'size', op: 'eq', value: 0 }] }],
    ['virtual_size=5&min_disk=1', { numeric: [{ column: 'virtual_size', op: 'eq', value: 5 }, { column: 'min_disk', op: 'eq', value: 1 }] }],
    ['created_at=gt:2020-01-01T00:00:00Z', { dates: [{ column: 'created_at', op: 'gt', value: Date.UTC(2020, 0, 1) }] }],
    ['updated_at=2020-01-02', { dates: [{ column: 'updated_at', op: 'eq', value: Date.UTC(2020, 0, 2) }] }],
    ['created_at=2020-01-01T10:00:00%2B01:00', { dates: [{ column: 'created_at', op: 'eq', value: Date.UTC(2020, 0, 1, 9) }] }],
    ['created_at=neq:2020-01-01T10:00', { dates: [{ column: 'created_at', op: 'neq', value: Date.UTC(2020, 0, 1, 10) }] }],
    ['os_distro=ubuntu', { properties: { os_distro: 'ubuntu' } }],
    ['os_distro=ubuntu&hw_arch=x86_64', { properties: { os_distro: 'ubuntu', hw_arch: 'x86_64' } }],
    ['is_public=true', { properties: { is_public: 'true' } }],
    ['deleted=true', {}],
    ['deleted_at=x', { id: { op: 'in', values: [] } }],
    ['id=abc&deleted_at=x', { id: { op: 'in', values: [] } }],
  ])('%s', (qs, expected) => {
    expect(filters(qs)).toEqual({ ...BASE_FILTERS, ...expected });
  });

  it('keeps a client-sent __proto__ property as a plain key', () => {
    const f = filters('__proto__=x');
    expect(Object.keys(f.properties ?? {})).toEqual(['__proto__']);
    expect(f.properties?.['__proto__']).toBe('x');
  });

  it.each<[string, string]>([
    ['name=gt:foo', "Unable to filter by unknown operator 'gt'."],
    ['name=foo:bar', "Unable to filter by unknown operator 'foo'."],
    ['id=neq:x', "Unable to filter by unknown operator 'neq'."],
    ['name=in:"a', 'Invalid filter value "a. The quote is not closed.'],
    ['name=in:a"b",c', 'Invalid filter value a"b",c. There is no comma before opening quotation mark.'],
    ['name=in:"a"b,c', 'Invalid filter value "a"b,c. There is no comma after closing quotation mark.'],
    ['visibility=bogus', 'Invalid visibility value: bogus'],
    ['visibility=Public', 'Invalid visibility value: Public'],
    ['member_status=bogus', 'Invalid status: bogus'],
    ['member_status=', 'Invalid status: '],
    ['protected=True', "Invalid value 'True' for 'protected' filter. Valid values are 'true' or 'false'."],
    ['protected=', "Invalid value '' for 'protected' filter. Valid values are 'true' or 'false'."],
    ['os_hidden=Yes', "Invalid value 'yes' for 'os_hidden' filter. Valid values are 'true' or 'false'."],
    ['size_min=abc', 'Unable to filter on a range with a non-numeric value.'],
    ['size_max=1.5', 'Unable to filter on a range with a non-numeric value.'],
    ['foo_min=abc', 'Unable to filter on a range with a non-numeric value.'],
    ['foo_min=1', "Unable to filter on a range of 'foo': not a numeric image attribute."],
    ['name_max=1', "Unable to filter on a range of 'name': not a numeric image attribute."],
    ['min_ram=abc', "Unable to filter on 'min_ram' with a non-numeric value."],
    ['created_at=gt:yesterday', 'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.'],
    ['updated_at=garbage', 'Bad "updated_at" query filter format. Use ISO 8601 DateTime notation.'],
    ['created_at=foo:bar', 'Bad "created_at" query filter format. Use ISO 8601 DateTime notation.'],
    ['created_at=foo:2020-01-01', 'Unable to filter on a unknown operator.'],
    ['changes-since=2020-01-01', 'The "changes-since" filter is no longer available on v2.'],
    ['changes-since=', 'The "changes-since" filter is no longer available on v2.'],
    ['os_hash_algo=sha512', "Filtering on 'os_hash_algo' is not supported."],
    ['name=a&name=b', 'Duplicate query parameter: name'],
    ['os_distro=a&os_distro=b', 'Duplicate query parameter: os_distro'],
  ])('%s → 400', (qs, message) => {
    expect(error(qs)).toBe(message);
  });
});

describe('splitInValues', () => {
  it.each<[string, string[]]>([
    ['a,b', ['a', 'b']],
    ['a', ['a']],
    ['', []],
    ['a,', ['a']],
    [',a', ['', 'a']],
    ['a,,b', ['a', '', 'b']],
    ['"a,b",c', ['a,b', 'c']],
    ['c,"a,b"', ['c', 'a,b']],
    ['"",x', ['', 'x']],
    ['"say \\"hi\\"",x', ['say "hi"', 'x']],
    ['a b, c', ['a b', ' c']],
  ])('%j', (input, values) => {
    expect(splitInValues(input)).toEqual(values);
  });
});

describe('parseIsoTime (iso8601.parse_date grammar)', () => {
  it.each<[string, number | null]>([
    ['2020', Date.UTC(2020, 0, 1)],
    ['2020-05', Date.UTC(2020, 4, 1)],
    ['2020-5-7', Date.UTC(2020, 4, 7)],
    ['202005', null],
    ['20200507', Date.UTC(2020, 4, 7)],
    ['2020-05-07T01:02:03', Date.UTC(2020, 4, 7, 1, 2, 3)],
    ['2020-05-07 01:02:03Z', Date.UTC(2020, 4, 7, 1, 2, 3)],
    ['2020-05-07T010203', Date.UTC(2020, 4, 7, 1, 2, 3)],
    ['2020-05-07T01', Date.UTC(2020, 4, 7, 1)],
    ['2020-05-07T01:02:03.4567Z', Date.UTC(2020, 4, 7, 1, 2, 3, 456)],
    ['2020-05-07T01:02:03,5', Date.UTC(2020, 4, 7, 1, 2, 3, 500)],
    ['2020-05-07T01:02:03-02:30', Date.UTC(2020, 4, 7, 3, 32, 3)],
    ['2020-05-07T01:02:03+0100', Date.UTC(2020, 4, 7, 0, 2, 3)],
    ['2020-05-07T01:02:03+01', Date.UTC(2020, 4, 7, 0, 2, 3)],
    ['2020-02-29', Date.UTC(2020, 1, 29)],
    ['2019-02-29', null],
    ['2020-13-01', null],
    ['2020-00-01', null],
    ['2020-01-32', null],
    ['2020-01-01T24:00:00', null],
    ['2020-01-01T23:60', null],
    ['2020-01-01T23:59:60', null],
    ['2020-01-01T00:00:00+24:00', null],
    ['0000-01-01', null],
    ['0050-01-01', -60589296000000],
    ['2020-01-01Z', null],
    ['yesterday', null],
    ['', null],
  ])('%j', (input, expected) => {
    expect(parseIsoTime(input)).toBe(expected);
  });
});

describe('parsePythonInt', () => {
  it.each<[string, number | null]>([
    ['5', 5], [' 5 ', 5], ['+5', 5], ['-5', -5], ['1_000', 1000], ['1__0', null], ['_1', null],
    ['', null], ['1.0', null], ['0x10', null], ['1e3', null],
  ])('%j', (input, expected) => {
    expect(parsePythonInt(input)).toBe(expected);
  });
});

describe('quotePlus', () => {
  it.each<[string, string]>([
    ['abc-_.~', 'abc-_.~'],
    ['a b', 'a+b'],
    ['in:a,b', 'in%3Aa%2Cb'],
    ['"x"', '%22x%22'],
    ["!*'()/?&=+", '%21%2A%27%28%29%2F%3F%26%3D%2B'],
    ['é', '%C3%A9'],
  ])('%j → %j', (input, out) => {
    expect(quotePlus(input)).toBe(out);
  });
});

describe('firstAndNextLinks (spec §5.3)', () => {
  it.each<[string, string | null, boolean, { first: string; next?: string }]>([
    ['', null, false, { first: '/v2/images' }],
    ['', 'id9', true, { first: '/v2/images', next: '/v2/images?marker=id9' }],
    ['limit=2', 'id9', false, { first: '/v2/images?limit=2' }],
    ['limit=2', null, true, { first: '/v2/images?limit=2' }],
    ['limit=2&marker=id1', 'id3', true, { first: '/v2/images?limit=2', next: '/v2/images?limit=2&marker=id3' }],
    ['marker=id1&limit=2', 'id3', true, { first: '/v2/images?limit=2', next: '/v2/images?limit=2&marker=id3' }],
    ['marker=id1', null, false, { first: '/v2/images' }],
    [
      'name=in:a,b&sort=name:asc',
      null,
      false,
      { first: '/v2/images?name=in%3Aa%2Cb&sort=name%3Aasc' },
    ],
    ['name=a+b', null, false, { first: '/v2/images?name=a+b' }],
    // Repeated parameters are preserved (Glance would keep only tag=64bit).
    ['tag=x86&tag=64bit', 'z', true, { first: '/v2/images?tag=x86&tag=64bit', next: '/v2/images?tag=x86&tag=64bit&marker=z' }],
  ])('%j last=%j full=%j', (qs, lastId, full, expected) => {
    expect(firstAndNextLinks(new URLSearchParams(qs), lastId, full)).toEqual(expected);
  });

  it('accepts another base', () => {
    expect(firstAndNextLinks(new URLSearchParams('a=1'), 'x', true, '/v2/tasks')).toEqual({
      first: '/v2/tasks?a=1',
      next: '/v2/tasks?a=1&marker=x',
    });
  });

  it('encodes the marker', () => {
    expect(firstAndNextLinks(new URLSearchParams(''), 'a b&c', true).next).toBe('/v2/images?marker=a+b%26c');
  });
});
