import { describe, expect, it } from 'vitest';
import {
  assertDbIntRange,
  assertNoFourByteUnicode,
  assertPropertyQuota,
  assertTagQuota,
  dedupeTags,
  isReservedKey,
  pyTitle,
} from '../../src/core/field-rules.js';
import { validateMemberStatus, validateTag } from '../../src/core/image-rules.js';
import { expectCoreError, LIMITS } from './fixtures.js';

describe('validateTag', () => {
  it.each(['a', 'sp ace', 't'.repeat(255), '', '😀'.repeat(255)])('accepts %j', (tag) => {
    expect(validateTag(tag)).toBe(tag);
  });
  it.each([
    ['t'.repeat(256), `Provided object does not match schema 'image': '${'t'.repeat(256)}' is too long`],
    [5, "Provided object does not match schema 'image': 5 is not of type 'string'"],
  ])('refuses %j', (tag, message) => {
    expectCoreError(() => validateTag(tag), { status: 400, message });
  });
});

describe('validateMemberStatus', () => {
  it.each(['pending', 'accepted', 'rejected'])('accepts %s', (s) => {
    expect(validateMemberStatus(s)).toBe(s);
  });
  it.each(['Accepted', 'bogus', '', null, 1, ['accepted']])('refuses %j', (s) => {
    expectCoreError(() => validateMemberStatus(s), {
      status: 400,
      message: 'Incorrect request: Status must be "pending", "accepted" or "rejected".',
    });
  });
});

describe('reserved keys', () => {
  it.each([
    ['location', true],
    ['deleted', true],
    ['deleted_at', true],
    ['os_glance_foo', true],
    ['os_glance', true],
    ['os_glanc', false],
    ['locations', false],
    ['foo', false],
  ])('%s → %s', (key, want) => {
    expect(isReservedKey(key)).toBe(want);
  });
});

describe('quotas', () => {
  it.each([
    [128, 128, false],
    [129, 128, true],
    [0, 0, false],
    [1, 0, true],
    [1000, -1, false],
  ])('tags %i with quota %i → %s', (count, quota, exceeds) => {
    const run = (): void => assertTagQuota(count, { ...LIMITS, tagQuota: quota });
    if (!exceeds) expect(run).not.toThrow();
    else expectCoreError(run, {
      status: 413,
      message: `The limit has been exceeded on the number of allowed image tags. Attempted: ${count}, Maximum: ${quota}`,
    });
  });

  it('property quota ignores os_glance bookkeeping', () => {
    const limits = { ...LIMITS, propertyQuota: 2 };
    expect(() => assertPropertyQuota({ a: '1', b: '2', os_glance_x: '', os_glance_y: '' }, limits)).not.toThrow();
    expectCoreError(() => assertPropertyQuota({ a: '1', b: '2', c: '3' }, limits), {
      status: 413,
      message: 'The limit has been exceeded on the number of allowed image properties. Attempted: 3, Maximum: 2',
    });
    expect(() => assertPropertyQuota({ a: '1', b: '2', c: '3' }, { ...LIMITS, propertyQuota: -1 })).not.toThrow();
  });
});

describe('DB layer checks', () => {
  it.each([
    [{ min_disk: 2147483647, min_ram: 2147483647 }, null],
    [{ min_disk: 0, min_ram: 2147483648 }, "'min_ram' value out of range, must not exceed 2147483647."],
    [{ min_disk: 2147483648, min_ram: 2147483648 }, "'min_disk' value out of range, must not exceed 2147483647."],
  ])('%j', (fields, message) => {
    if (message === null) expect(() => assertDbIntRange(fields)).not.toThrow();
    else expectCoreError(() => assertDbIntRange(fields), { status: 400, message });
  });

  const clean = { name: 'n', owner: 'o', properties: { a: 'b' }, tags: ['t'] };
  it.each([
    [{ ...clean, name: 'x😀' }, "Name can't contain 4 byte unicode characters."],
    [{ ...clean, owner: '😀' }, "Owner can't contain 4 byte unicode characters."],
    [{ ...clean, properties: { os_distro: '😀' } }, "Os_Distro can't contain 4 byte unicode characters."],
    [{ ...clean, properties: { 'k😀': 'v' } }, "Property names can't contain 4 byte unicode."],
    [{ ...clean, tags: ['ok', '😀'] }, "Tags can't contain 4 byte unicode characters."],
    [{ ...clean, name: '😀', properties: { 'k😀': 'v' } }, "Name can't"],
  ])('4-byte %j', (fields, message) => {
    expectCoreError(() => assertNoFourByteUnicode(fields), { status: 400, message });
  });

  it('allows BMP characters, including 3-byte ones', () => {
    expect(() => assertNoFourByteUnicode({ name: '日本語 é €', owner: null, properties: { 'ключ': 'значение' }, tags: ['✓'] })).not.toThrow();
  });
});

describe('helpers', () => {
  it.each([
    ['name', 'Name'],
    ['os_distro', 'Os_Distro'],
    ['hw_disk_bus2x', 'Hw_Disk_Bus2X'],
    ['ABC def', 'Abc Def'],
    ['', ''],
  ])('pyTitle(%j) = %j', (s, want) => {
    expect(pyTitle(s)).toBe(want);
  });

  it('dedupeTags keeps first occurrences in order', () => {
    expect(dedupeTags(['a', 'b', 'a', 'c', 'b'])).toEqual(['a', 'b', 'c']);
  });
});
