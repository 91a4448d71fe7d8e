import { describe, expect, it } from 'vitest';
import { assertImageSchema, bestMatch, imageSchema, pyRepr, schemaErrors } from '../../src/core/schema-check.js';
import { expectCoreError, FORMATS, ID } from './fixtures.js';

describe('pyRepr (Python repr, as quoted in jsonschema messages)', () => {
  it.each([
    [5, '5'],
    [-5, '-5'],
    [1.5, '1.5'],
    [1e-7, '1e-07'],
    [1e22, '1e+22'],
    [2 ** 53 - 1, '9007199254740991'],
    [1.5e300, '1.5e+300'],
    [true, 'True'],
    [false, 'False'],
    [null, 'None'],
    ['abc', "'abc'"],
    ["it's", '"it\'s"'],
    ['both \' and "', "'both \\' and \"'"],
    ['a\\b', "'a\\\\b'"],
    ['tab\tnl\n', "'tab\\tnl\\n'"],
    ['\u0001', "'\\x01'"],
    ['é😀', "'é😀'"],
    ['\u200b', "'\\u200b'"],
    [[1, 'a', null], "[1, 'a', None]"],
    [{ a: 1, b: [true] }, "{'a': 1, 'b': [True]}"],
    [[], '[]'],
    [{}, '{}'],
  ])('%j → %s', (value, want) => {
    expect(pyRepr(value)).toBe(want);
  });
});

describe('schemaErrors / bestMatch', () => {
  const schema = imageSchema(FORMATS);
  const msg = (obj: Record<string, unknown>): string | undefined => bestMatch(schemaErrors(obj, schema))?.message;

  it.each([
    [{}, undefined],
    [{ name: null, owner: null, kernel_id: null, id: ID }, undefined],
    [{ foo: 5 }, "5 is not of type 'string'"],
    [{ foo: null }, "None is not of type 'string'"],
    [{ name: 5 }, "5 is not of type 'null', 'string'"],
    [{ name: 'x'.repeat(256) }, `'${'x'.repeat(256)}' is too long`],
    [{ name: '😀'.repeat(255) }, undefined],
    [{ status: 'bogus' }, "'bogus' is not one of ['queued', 'saving', 'active', 'killed', 'deleted', 'uploading', 'importing', 'pending_delete', 'deactivated']"],
    [{ disk_format: 'bogus' }, "'bogus' is not one of [None, 'ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop']"],
    [{ container_format: 5 }, "5 is not of type 'null', 'string'"],
    [{ visibility: 'everyone' }, "'everyone' is not one of ['community', 'public', 'private', 'shared']"],
    [{ protected: 'yes' }, "'yes' is not of type 'boolean'"],
    [{ min_ram: 1.5 }, "1.5 is not of type 'integer'"],
    [{ min_ram: true }, "True is not of type 'integer'"],
    [{ min_disk: '1' }, "'1' is not of type 'integer'"],
    [{ id: 'abc' }, "'abc' does not match '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$'"],
    [{ kernel_id: 'abc' }, "'abc' does not match"],
    [{ ramdisk_id: 5 }, "5 is not of type 'null', 'string'"],
    [{ os_distro: null }, "None is not of type 'string'"],
    [{ description: ['x'] }, "['x'] is not of type 'string'"],
    [{ cinder_encryption_key_deletion_policy: 'never' }, "'never' is not one of ['on_image_deletion', 'do_not_delete']"],
    [{ tags: 'a' }, "'a' is not of type 'array'"],
    [{ tags: ['a', 5] }, "5 is not of type 'string'"],
    [{ tags: ['t'.repeat(256)] }, 'is too long'],
    [{ checksum: 'x'.repeat(33) }, 'is too long'],
    [{ locations: [{ url: 'http://x' }] }, "'metadata' is a required property"],
    [{ locations: [{ url: 5, metadata: {} }] }, "5 is not of type 'string'"],
    [{ locations: [{ url: 'u', metadata: {}, validation_data: { checksum: 'x', os_hash_algo: 'a', os_hash_value: 'b', z: 1 } }] },
      "Additional properties are not allowed ('z' was unexpected)"],
  ])('%j', (obj, want) => {
    const got = msg(obj as Record<string, unknown>);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(want);
  });

  it('reports the first failing property in schema order, then extras in body order', () => {
    expect(msg({ zzz: 1, min_ram: 'x', name: 5 })).toBe("5 is not of type 'null', 'string'");
    expect(msg({ b: 1, a: 2 })).toBe("1 is not of type 'string'");
  });

  it('prefers a shallow error over a deeper one that comes first', () => {
    expect(msg({ tags: [5], visibility: 'x' })).toContain("'x' is not one of");
  });

  it('uses the configured format lists', () => {
    const custom = imageSchema({ disk: ['raw'], container: ['bare'] });
    expect(bestMatch(schemaErrors({ disk_format: 'qcow2' }, custom))?.message).toBe("'qcow2' is not one of [None, 'raw']");
  });

  it('assertImageSchema throws 400 with the Glance prefix', () => {
    expectCoreError(() => assertImageSchema({ foo: 5 }, FORMATS), {
      status: 400,
      message: "Provided object does not match schema 'image': 5 is not of type 'string'",
    });
  });
});
