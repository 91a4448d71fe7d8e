import { describe, expect, it } from 'vitest';
import {
  hasField,
  lenientBool,
  parseImageMetaHeaders,
  V1_FIELD_NAMES,
  type V1ImageMeta,
} from '../../src/http/v1/meta-headers.js';
import { ID, META_OPTIONS, raw, thrown } from './fixtures.js';

const parse = (headers: Array<[string, string]>, options = META_OPTIONS): V1ImageMeta =>
  parseImageMetaHeaders(raw(headers), options);
const error = (headers: Array<[string, string]>, options = META_OPTIONS) => thrown(() => parse(headers, options));
/** Node's view of UTF-8 bytes on the wire. */
const wire = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

describe('parseImageMetaHeaders: §3.9 reserve request', () => {
  it('golden', () => {
    const meta = parse([
      ['x-image-meta-name', 'New Name'],
      ['x-image-meta-container_format', 'ami'],
      ['x-image-meta-disk_format', 'ami'],
      ['x-image-meta-is_public', 'False'],
      ['x-image-meta-property-prop1', 'val1'],
      ['Content-Length', '0'],
      ['X-Auth-Token', 'secret'],
    ]);
    expect(meta).toEqual({
      fields: { name: 'New Name', container_format: 'ami', disk_format: 'ami', is_public: false },
      properties: { prop1: 'val1' },
      purgeProps: undefined,
      copyFrom: undefined,
    });
  });

  it('eventlet title-case names and `-` spellings of fields', () => {
    const meta = parse([
      ['X-Image-Meta-Min_ram', '40'],
      ['X-Image-Meta-Min-Disk', '2'],
      ['X-Image-Meta-Disk-Format', 'raw'],
      ['X-IMAGE-META-CONTAINER-FORMAT', 'bare'],
    ]);
    expect(meta.fields).toEqual({ min_ram: 40, min_disk: 2, disk_format: 'raw', container_format: 'bare' });
  });

  it('every whitelisted field is accepted', () => {
    const values: Record<string, string> = {
      size: '1', min_ram: '1', min_disk: '1', virtual_size: '1', disk_format: 'raw', container_format: 'bare',
      created_at: '2016-02-25T03:02:05', updated_at: '2016-02-25', deleted_at: '20160225', id: ID,
    };
    for (const field of V1_FIELD_NAMES) {
      const meta = parse([[`x-image-meta-${field}`, values[field] ?? 'x']]);
      expect(hasField(meta, field), field).toBe(true);
    }
    expect(V1_FIELD_NAMES).toHaveLength(21);
  });
});

describe('parseImageMetaHeaders: properties (§1.3 item 2)', () => {
  it.each([
    ['X-Image-Meta-Property-Foo-Bar', 'v', 'foo_bar', 'v'],
    ['x-image-meta-property-KEY1', 'Value1', 'key1', 'Value1'],
    ['x-image-meta-property-empty', '', 'empty', null],
    ['x-image-meta-property-', 'v', '', 'v'],
  ])('%s: %j → %s = %j', (name, value, key, want) => {
    const meta = parse([[name, value]]);
    expect(Object.keys(meta.properties)).toEqual([key]);
    expect(meta.properties[key]).toBe(want);
  });

  it('`__proto__` stays an ordinary own property', () => {
    const meta = parse([['x-image-meta-property-__proto__', 'x']]);
    expect(Object.keys(meta.properties)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(meta.properties, '__proto__')?.value).toBe('x');
  });

  it('UTF-8 values are re-decoded; invalid UTF-8 keeps its latin-1 reading', () => {
    const meta = parse([
      ['x-image-meta-name', wire('Ünïcødé ☃')],
      ['x-image-meta-property-os_distro', wire('débian')],
      ['x-image-meta-property-raw', '\u00ff\u00fe'],
    ]);
    expect(meta.fields.name).toBe('Ünïcødé ☃');
    expect(meta.properties).toEqual({ os_distro: 'débian', raw: 'ÿþ' });
  });

  it('other headers (x-glance-api-property-*, auth, content-type) are ignored', () => {
    const meta = parse([
      ['x-glance-api-property-foo', 'bar'],
      ['Content-Type', 'application/octet-stream'],
      ['x-image-meta', 'no dash'],
    ]);
    expect(meta).toEqual({ fields: {}, properties: {}, purgeProps: undefined, copyFrom: undefined });
  });
});

describe('parseImageMetaHeaders: presence', () => {
  it('an empty value is a present null, distinct from absent', () => {
    const meta = parse([['x-image-meta-name', ''], ['x-image-meta-owner', '']]);
    expect(hasField(meta, 'name')).toBe(true);
    expect(meta.fields.name).toBeNull();
    expect(meta.fields.owner).toBeNull();
    expect(hasField(meta, 'checksum')).toBe(false);
  });

  it('repeated headers: the last one wins, across spellings', () => {
    const meta = parse([
      ['x-image-meta-name', 'first'],
      ['x-image-meta-disk_format', 'raw'],
      ['x-image-meta-name', 'second'],
      ['x-image-meta-disk-format', 'qcow2'],
      ['x-image-meta-property-a', '1'],
      ['x-image-meta-property-A', '2'],
    ]);
    expect(meta.fields).toEqual({ name: 'second', disk_format: 'qcow2' });
    expect(meta.properties).toEqual({ a: '2' });
  });
});

describe('parseImageMetaHeaders: bad header (§1.3 item 3)', () => {
  it.each([
    ['x-image-meta-foo', 'Bad header: x-image-meta-foo'],
    ['X-Image-Meta-Properties', 'Bad header: x-image-meta-properties'],
    ['x-image-meta-', 'Bad header: x-image-meta-'],
    ['X-Image-Meta-Location_Data', 'Bad header: x-image-meta-location_data'],
    ['x-image-meta-os_hidden', 'Bad header: x-image-meta-os_hidden'],
  ])('%s → 400 %s', (name, message) => {
    expect(error([[name, 'v']])).toEqual({ status: 400, message });
  });

  it('a bad header wins over a bad value', () => {
    expect(error([['x-image-meta-size', 'x'], ['x-image-meta-bogus', '1']]).message).toBe('Bad header: x-image-meta-bogus');
  });
});

describe('parseImageMetaHeaders: integers (§1.3 item 4)', () => {
  const conv = (f: string, v: string) =>
    `Invalid value '${v}' for parameter '${f}': Cannot convert image ${f} '${v}' to an integer.`;
  const neg = (f: string, v: string) => `Invalid value '${v}' for parameter '${f}': Cannot be a negative value.`;

  it.each([
    ['size', ' 42 ', 42],
    ['size', '+7', 7],
    ['size', '0', 0],
    ['size', '-0', 0],
    ['min_ram', '1_000', 1000],
    ['min_disk', '007', 7],
    ['virtual_size', '5120', 5120],
    ['virtual_size', 'None', null],
    ['virtual_size', '', null],
  ])('%s %j → %j', (field, value, want) => {
    expect(parse([[`x-image-meta-${field}`, value]]).fields).toEqual({ [field]: want });
  });

  it.each([
    ['size', 'abc', conv('size', 'abc')],
    ['size', '1.5', conv('size', '1.5')],
    ['size', '0x10', conv('size', '0x10')],
    ['size', '', conv('size', 'None')],
    ['min_ram', 'x', conv('min_ram', 'x')],
    ['min_disk', '', conv('min_disk', 'None')],
    ['virtual_size', 'none', conv('virtual_size', 'none')],
    ['size', '-1', neg('size', '-1')],
    ['size', ' -007 ', neg('size', '-7')],
    ['min_ram', '-5', neg('min_ram', '-5')],
    ['min_disk', '-1', neg('min_disk', '-1')],
    ['virtual_size', '-2', neg('virtual_size', '-2')],
    ['size', '-99999999999999999999', neg('size', '-99999999999999999999')],
  ])('%s %j → 400 %s', (field, value, message) => {
    expect(error([[`x-image-meta-${field}`, value]])).toEqual({ status: 400, message });
  });

  it('checks size, then min_disk, then min_ram, then virtual_size', () => {
    const all: Array<[string, string]> = [
      ['x-image-meta-virtual_size', 'v'],
      ['x-image-meta-min_ram', 'r'],
      ['x-image-meta-min_disk', 'd'],
      ['x-image-meta-size', 's'],
    ];
    expect(error(all).message).toBe(conv('size', 's'));
    expect(error(all.slice(0, 3)).message).toBe(conv('min_disk', 'd'));
    expect(error(all.slice(0, 2)).message).toBe(conv('min_ram', 'r'));
  });

  it.each([
    ['min_ram', '2147483647', null],
    ['min_ram', '2147483648', "'min_ram' value out of range, must not exceed 2147483647."],
    ['min_disk', '99999999999', "'min_disk' value out of range, must not exceed 2147483647."],
  ])('range: %s %s', (field, value, message) => {
    if (message === null) expect(parse([[`x-image-meta-${field}`, value]]).fields).toEqual({ [field]: 2147483647 });
    else expect(error([[`x-image-meta-${field}`, value]])).toEqual({ status: 400, message });
  });

  it('the DB layer checks min_disk before min_ram', () => {
    const h: Array<[string, string]> = [['x-image-meta-min_ram', '2147483648'], ['x-image-meta-min_disk', '2147483648']];
    expect(error(h).message).toBe("'min_disk' value out of range, must not exceed 2147483647.");
  });
});

describe('parseImageMetaHeaders: lenient booleans (§1.3 item 5)', () => {
  it.each([
    ['True', true], ['true', true], ['t', true], ['YES', true], ['y', true], ['on', true], ['1', true], [' true ', true],
    ['False', false], ['0', false], ['None', false], ['', false], ['garbage', false], ['2', false], ['truee', false],
  ])('%j → %s, for is_public, protected and deleted', (value, want) => {
    const meta = parse([
      ['x-image-meta-is_public', value],
      ['x-image-meta-protected', value],
      ['x-image-meta-deleted', value],
    ]);
    expect(meta.fields).toEqual({ is_public: want, protected: want, deleted: want });
  });

  it('lenientBool(null) is false', () => {
    expect(lenientBool(null)).toBe(false);
  });
});
