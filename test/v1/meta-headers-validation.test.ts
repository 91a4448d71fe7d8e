import { describe, expect, it } from 'vitest';
import { assertV1ImageId, parseImageMetaHeaders, redecodeLatin1, type V1ImageMeta } from '../../src/http/v1/meta-headers.js';
import { ID, META_OPTIONS, raw, thrown } from './fixtures.js';

const parse = (headers: Array<[string, string]>, options = META_OPTIONS): V1ImageMeta =>
  parseImageMetaHeaders(raw(headers), options);
const error = (headers: Array<[string, string]>, options = META_OPTIONS) => thrown(() => parse(headers, options));
/** Node's view of UTF-8 bytes on the wire. */
const wire = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

describe('parseImageMetaHeaders: formats (§2)', () => {
  const MIX =
    "Invalid mix of disk and container formats. When setting a disk or container format to one of 'aki', 'ari', " +
    "or 'ami', the container and disk formats must match.";

  it.each([
    [[['x-image-meta-disk_format', 'wrong'], ['x-image-meta-container_format', 'bare']], "Invalid disk format 'wrong' for image."],
    [[['x-image-meta-container_format', 'wrong'], ['x-image-meta-disk_format', 'vhd']], "Invalid container format 'wrong' for image."],
    [[['x-image-meta-disk_format', '']], "Invalid disk format 'None' for image."],
    [[['x-image-meta-container_format', '']], "Invalid container format 'None' for image."],
    [[['x-image-meta-disk_format', 'RAW']], "Invalid disk format 'RAW' for image."],
    [[['x-image-meta-container_format', 'bad'], ['x-image-meta-disk_format', 'bad']], "Invalid disk format 'bad' for image."],
    [[['x-image-meta-disk_format', 'ami'], ['x-image-meta-container_format', 'bare']], MIX],
    [[['x-image-meta-disk_format', 'raw'], ['x-image-meta-container_format', 'aki']], MIX],
    [[['x-image-meta-disk_format', 'ari'], ['x-image-meta-container_format', 'ami']], MIX],
  ] as Array<[Array<[string, string]>, string]>)('%j → 400', (headers, message) => {
    expect(error(headers)).toEqual({ status: 400, message });
  });

  it.each([
    ['disk_format', 'ami', { disk_format: 'ami', container_format: 'ami' }],
    ['container_format', 'aki', { disk_format: 'aki', container_format: 'aki' }],
    ['disk_format', 'ari', { disk_format: 'ari', container_format: 'ari' }],
    ['disk_format', 'raw', { disk_format: 'raw' }],
    ['container_format', 'bare', { container_format: 'bare' }],
  ])('amazon rule: %s=%s alone → %j', (field, value, want) => {
    expect(parse([[`x-image-meta-${field}`, value]]).fields).toEqual(want);
  });

  it('the lists come from the options (v2 schema enums)', () => {
    const options = { ...META_OPTIONS, diskFormats: ['raw'], containerFormats: ['bare'] };
    expect(error([['x-image-meta-disk_format', 'qcow2']], options).message).toBe("Invalid disk format 'qcow2' for image.");
    expect(error([['x-image-meta-container_format', 'ami']], options).message).toBe(
      "Invalid container format 'ami' for image.",
    );
  });

  it('formats are checked after integers', () => {
    expect(error([['x-image-meta-disk_format', 'x'], ['x-image-meta-size', 'y']]).message).toMatch(/^Invalid value 'y'/);
  });
});

describe('parseImageMetaHeaders: name, checksum, size cap (§2, §3.3 step 1)', () => {
  it.each([
    ['a'.repeat(255), null],
    ['é'.repeat(255), null],
    ['a'.repeat(256), 'Image name too long: 256'],
    ['☃'.repeat(300), 'Image name too long: 300'],
  ])('name of %#', (name, message) => {
    const h: Array<[string, string]> = [['x-image-meta-name', wire(name)]];
    if (message === null) expect(parse(h).fields.name).toBe(name);
    else expect(error(h)).toEqual({ status: 400, message });
  });

  it('checksum ≤ 32 characters', () => {
    expect(parse([['x-image-meta-checksum', 'a'.repeat(32)]]).fields.checksum).toBe('a'.repeat(32));
    const long = 'b'.repeat(33);
    expect(error([['x-image-meta-checksum', long]])).toEqual({
      status: 400,
      message: `Invalid checksum '${long}': can't exceed 32 characters`,
    });
  });

  it('name is checked before checksum, formats before both', () => {
    const h: Array<[string, string]> = [['x-image-meta-checksum', 'c'.repeat(33)], ['x-image-meta-name', 'n'.repeat(256)]];
    expect(error(h).message).toBe('Image name too long: 256');
    expect(error([...h, ['x-image-meta-disk_format', 'bad']]).message).toBe("Invalid disk format 'bad' for image.");
  });

  const cap = 1000;
  const denied = { status: 400, message: 'Denying attempt to upload image larger than 1000 bytes.' };
  it.each([
    [[['x-image-meta-size', '1000']], null],
    [[['x-image-meta-size', '1001']], denied],
    [[['Content-Length', '1001']], denied],
    [[['Content-Length', '1001'], ['x-image-meta-size', '10']], denied],
    // Content-Length 0 is falsy in Glance: the declared size decides.
    [[['Content-Length', '0'], ['x-image-meta-size', '1001']], denied],
    // A non-zero Content-Length wins over the declared size.
    [[['Content-Length', '10'], ['x-image-meta-size', '1001']], null],
  ] as Array<[Array<[string, string]>, unknown]>)('cap 1000: %j', (headers, want) => {
    const options = { ...META_OPTIONS, imageSizeCap: cap };
    if (want === null) expect(() => parse(headers, options)).not.toThrow();
    else expect(error(headers, options)).toEqual(want);
  });

  it('the default cap is 1 TiB', () => {
    expect(error([['x-image-meta-size', '1099511627777']]).message).toBe(
      'Denying attempt to upload image larger than 1099511627776 bytes.',
    );
  });
});

describe('parseImageMetaHeaders: time fields (§2)', () => {
  it.each([
    ['created_at', '2016-02-25T03:02:05', Date.UTC(2016, 1, 25, 3, 2, 5)],
    ['updated_at', '2016-02-25T03:02:05.123+01:00', Date.UTC(2016, 1, 25, 2, 2, 5, 123)],
    ['deleted_at', '20160225', Date.UTC(2016, 1, 25)],
    ['created_at', '1900-01-01', Date.UTC(1900, 0, 1)],
    ['created_at', '', null],
  ])('%s %j → %j', (field, value, want) => {
    expect(parse([[`x-image-meta-${field}`, value]]).fields).toEqual({ [field]: want });
  });

  it.each([
    ['created_at', 'garbage'],
    ['updated_at', '2016-13-01'],
    ['deleted_at', '1899-12-31T23:59:59'],
    ['created_at', '2016-02-30'],
  ])('%s %j → 400', (field, value) => {
    expect(error([[`x-image-meta-${field}`, value]])).toEqual({ status: 400, message: `Invalid time format for ${field}.` });
  });
});

describe('parseImageMetaHeaders: purge and copy-from headers', () => {
  it.each([
    [undefined, undefined],
    ['true', true],
    ['Yes', true],
    ['1', true],
    ['false', false],
    ['0', false],
    ['garbage', false],
    ['', false],
  ])('x-glance-registry-purge-props %j → %j', (value, want) => {
    const meta = parse(value === undefined ? [] : [['X-Glance-Registry-Purge-Props', value]]);
    expect(meta.purgeProps).toBe(want);
  });

  it('x-glance-api-copy-from is the copy source; the copy_from field is not', () => {
    const meta = parse([
      ['x-glance-api-copy-from', 'http://example.com/a.img'],
      ['x-image-meta-copy_from', 'http://example.com/b.img'],
    ]);
    expect(meta.copyFrom).toBe('http://example.com/a.img');
    expect(meta.fields.copy_from).toBe('http://example.com/b.img');
    expect(parse([['x-glance-api-copy-from', '']]).copyFrom).toBe('');
  });
});

describe('assertV1ImageId (create only)', () => {
  it.each([
    [ID, true],
    [ID.toUpperCase(), true],
    ['', true],
    ['abc', false],
    [ID.replace(/-/g, ''), false],
    [`{${ID}}`, false],
    [`${ID}1`, false],
    [ID.slice(0, -1) + 'j', false],
  ])('%j → valid %s', (id, ok) => {
    const meta = parse([['x-image-meta-id', id]]);
    if (ok) expect(() => assertV1ImageId(meta)).not.toThrow();
    else expect(thrown(() => assertV1ImageId(meta))).toEqual({ status: 400, message: 'Invalid image id format' });
  });

  it('absent id passes', () => {
    expect(() => assertV1ImageId(parse([]))).not.toThrow();
  });
});

describe('redecodeLatin1', () => {
  it.each([
    ['plain ascii', 'plain ascii'],
    [wire('naïve'), 'naïve'],
    [wire('𝄞'), '𝄞'],
    ['\u00e9', '\u00e9'],
  ])('%j → %j', (input, want) => {
    expect(redecodeLatin1(input)).toBe(want);
  });
});
