import { describe, expect, it } from 'vitest';
import { BadRequestError, UnsupportedMediaTypeError } from '../../src/core/errors.js';
import type { PatchOp } from '../../src/core/patch.js';
import {
  ACCEPT_PATCH,
  decodePointer,
  parsePatchBody,
  parsePatchContentType,
  type PatchDialect,
} from '../../src/http/v2/patch-body.js';

const V20 = 'application/openstack-images-v2.0-json-patch';
const V21 = 'application/openstack-images-v2.1-json-patch';

describe('parsePatchContentType (spec §5.4.1)', () => {
  it.each<[string, PatchDialect]>([
    [V20, '2.0'],
    [V21, '2.1'],
    [`${V21}; charset=UTF-8`, '2.1'],
    [`${V20};charset=utf-8`, '2.0'],
    [` ${V21} `, '2.1'],
    [V21.toUpperCase(), '2.1'],
  ])('%j → %s', (ct, dialect) => {
    expect(parsePatchContentType(ct)).toBe(dialect);
  });

  it.each([undefined, '', 'application/json', 'application/json-patch+json', 'text/plain', 'application/openstack-images-v2.2-json-patch'])(
    '%j → 415 with Accept-Patch',
    (ct) => {
      let caught: unknown;
      try {
        parsePatchContentType(ct);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(UnsupportedMediaTypeError);
      expect((caught as UnsupportedMediaTypeError).headers).toEqual({
        'Accept-Patch': 'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch',
      });
    },
  );

  it('exports the Accept-Patch value', () => {
    expect(ACCEPT_PATCH).toBe(`${V20}, ${V21}`);
  });
});

function op(partial: Partial<PatchOp> & Pick<PatchOp, 'op' | 'path'>, dialect: PatchDialect = '2.1'): PatchOp {
  const base: PatchOp = { hasValue: partial.op !== 'remove', strictAdd: dialect === '2.0', ...partial };
  return base;
}

describe('parsePatchBody v2.1 — accepted operations', () => {
  it.each<[unknown[], PatchOp[]]>([
    [[], []],
    [[{ op: 'replace', path: '/name', value: 'x' }], [op({ op: 'replace', path: ['name'], value: 'x' })]],
    [[{ op: 'add', path: '/foo', value: null }], [op({ op: 'add', path: ['foo'], value: null })]],
    [[{ op: 'remove', path: '/foo' }], [op({ op: 'remove', path: ['foo'] })]],
    [[{ op: 'remove', path: '/foo', value: 1 }], [op({ op: 'remove', path: ['foo'] })]],
    [[{ op: 'replace', path: '/tags', value: ['a'] }], [op({ op: 'replace', path: ['tags'], value: ['a'] })]],
    [[{ op: 'add', path: '/locations/-', value: {} }], [op({ op: 'add', path: ['locations', '-'], value: {} })]],
    [[{ op: 'add', path: '/locations/0', value: {} }], [op({ op: 'add', path: ['locations', '0'], value: {} })]],
    [[{ op: 'remove', path: '/locations/1' }], [op({ op: 'remove', path: ['locations', '1'] })]],
    [[{ op: 'replace', path: '/locations', value: [] }], [op({ op: 'replace', path: ['locations'], value: [] })]],
    [[{ op: 'add', path: '/a~1b', value: 'v' }], [op({ op: 'add', path: ['a/b'], value: 'v' })]],
    [[{ op: 'add', path: '/a~0b', value: 'v' }], [op({ op: 'add', path: ['a~b'], value: 'v' })]],
    [[{ op: 'add', path: '/a~01', value: 'v' }], [op({ op: 'add', path: ['a~1'], value: 'v' })]],
    [[{ op: 'add', path: '//name', value: 'v' }], [op({ op: 'add', path: ['name'], value: 'v' })]],
    [[{ op: 'add', path: '/ name ', value: 'v' }], [op({ op: 'add', path: ['name'], value: 'v' })]],
    [
      [
        { op: 'add', path: '/a', value: 1 },
        { op: 'remove', path: '/b' },
      ],
      [op({ op: 'add', path: ['a'], value: 1 }), op({ op: 'remove', path: ['b'] })],
    ],
  ])('%j', (body, expected) => {
    expect(parsePatchBody(body, '2.1')).toEqual(expected);
  });
});

describe('parsePatchBody v2.0 — accepted operations', () => {
  it.each<[unknown[], PatchOp[]]>([
    [[{ add: '/foo', value: 'x' }], [op({ op: 'add', path: ['foo'], value: 'x' }, '2.0')]],
    [[{ replace: '/name', value: 'x' }], [op({ op: 'replace', path: ['name'], value: 'x' }, '2.0')]],
    [[{ remove: '/foo' }], [op({ op: 'remove', path: ['foo'] }, '2.0')]],
    // v2.0 ignores an `op` member; the key names the operation.
    [[{ op: 'test', remove: '/foo' }], [op({ op: 'remove', path: ['foo'] }, '2.0')]],
    [[{ add: '/locations/-', value: {} }], [op({ op: 'add', path: ['locations', '-'], value: {} }, '2.0')]],
  ])('%j', (body, expected) => {
    const out = parsePatchBody(body, '2.0');
    expect(out).toEqual(expected);
    expect(out.every((o) => o.strictAdd)).toBe(true);
  });
});

function error(body: unknown, dialect: PatchDialect = '2.1'): string {
  try {
    parsePatchBody(body, dialect);
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequestError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('parsePatchBody errors (spec §5.4.2)', () => {
  it.each<[unknown, PatchDialect, string]>([
    [undefined, '2.1', 'Body expected in request.'],
    ['x', '2.1', 'Unexpected body type. Expected list/dict.'],
    [null, '2.1', 'Unexpected body type. Expected list/dict.'],
    [5, '2.0', 'Unexpected body type. Expected list/dict.'],
    [{ op: 'add' }, '2.1', 'Request body must be a JSON array of operation objects.'],
    [['x'], '2.1', 'Operations must be JSON objects.'],
    [[[]], '2.0', 'Operations must be JSON objects.'],
    [[null], '2.1', 'Operations must be JSON objects.'],
    [[{ path: '/a' }], '2.1', 'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.'],
    [[{ op: null, path: '/a' }], '2.1', 'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.'],
    [[{ op: 'test', path: '/a' }], '2.1', 'Invalid operation: `test`. It must be one of the following: add, remove, replace.'],
    [[{ op: 'move', path: '/a' }], '2.1', 'Invalid operation: `move`. It must be one of the following: add, remove, replace.'],
    [[{ op: true, path: '/a' }], '2.1', 'Invalid operation: `True`. It must be one of the following: add, remove, replace.'],
    [[{ op: 'ADD', path: '/a' }], '2.1', 'Invalid operation: `ADD`. It must be one of the following: add, remove, replace.'],
    [[{ op: 'add', value: 1 }], '2.1', "Unable to find 'path' in JSON Schema change"],
    [[{ value: 1 }], '2.0', 'Operation objects must contain exactly one member named "add", "remove", or "replace".'],
    [[{ add: '/a', remove: '/b' }], '2.0', 'Operation objects must contain only one member named "add", "remove", or "replace".'],
    [[{ op: 'add', path: 'name', value: 1 }], '2.1', 'Pointer `name` does not start with "/".'],
    [[{ op: 'add', path: '', value: 1 }], '2.1', 'Pointer `` does not start with "/".'],
    [[{ add: 'name', value: 1 }], '2.0', 'Pointer `name` does not start with "/".'],
    [[{ op: 'add', path: 5, value: 1 }], '2.1', 'Pointer `5` is not a string.'],
    [[{ op: 'add', path: null, value: 1 }], '2.1', 'Pointer `None` is not a string.'],
    [[{ op: 'add', path: '/name/', value: 1 }], '2.1', 'Pointer `/name/` end with "/".'],
    [[{ op: 'add', path: '/a//b', value: 1 }], '2.1', 'Pointer `/a//b` contains adjacent "/".'],
    [[{ op: 'add', path: '///a', value: 1 }], '2.1', 'Pointer `///a` contains adjacent "/".'],
    [[{ op: 'add', path: '/na~2me', value: 1 }], '2.1', 'Pointer `/na~2me` contains "~" not part of a recognized escape sequence.'],
    [[{ op: 'add', path: '/name~', value: 1 }], '2.1', 'Pointer `/name~` contains "~" not part of a recognized escape sequence.'],
    // Spec §15 #10: Glance would create property "".
    [[{ op: 'add', path: '/', value: 1 }], '2.1', 'Pointer `/` does not contains valid token.'],
    [[{ op: 'add', path: '/ ', value: 1 }], '2.1', 'Pointer `/ ` does not contains valid token.'],
    [[{ op: 'add', path: '/tags/0', value: 'x' }], '2.1', "Invalid JSON pointer for this resource: '/tags/0'"],
    [[{ op: 'add', path: '/tags/-', value: 'x' }], '2.1', "Invalid JSON pointer for this resource: '/tags/-'"],
    [[{ op: 'remove', path: '/tags/0' }], '2.1', "Invalid JSON pointer for this resource: '/tags/0'"],
    [[{ op: 'replace', path: '/locations/0', value: {} }], '2.1', "Invalid JSON pointer for this resource: '/locations/0'"],
    [[{ op: 'remove', path: '/locations' }], '2.1', "Invalid JSON pointer for this resource: '/locations'"],
    [[{ op: 'add', path: '/locations', value: [] }], '2.1', "Invalid JSON pointer for this resource: '/locations'"],
    [[{ op: 'add', path: '/locations/0/url', value: 'x' }], '2.1', "Invalid JSON pointer for this resource: '/locations/0/url'"],
    [[{ op: 'add', path: '/a~1b/c', value: 'x' }], '2.1', "Invalid JSON pointer for this resource: '/a/b/c'"],
    [[{ op: 'add', path: '/name' }], '2.1', 'Operation "add" requires a member named "value".'],
    [[{ op: 'replace', path: '/name' }], '2.1', 'Operation "replace" requires a member named "value".'],
    [[{ add: '/name' }], '2.0', 'Operation "add" requires a member named "value".'],
    // Checks run per operation, so an earlier bad op wins over a later one.
    [[{ op: 'add', path: '/a' }, { op: 'bogus' }], '2.1', 'Operation "add" requires a member named "value".'],
  ])('%j (%s)', (body, dialect, message) => {
    expect(error(body, dialect)).toBe(message);
  });

  it('does not treat inherited members as present', () => {
    const change = Object.create({ op: 'add', path: '/a', value: 1 }) as object;
    expect(error([change])).toBe(
      'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.',
    );
  });
});

describe('decodePointer', () => {
  it.each<[string, string[]]>([
    ['/name', ['name']],
    ['/locations/-', ['locations', '-']],
    ['/~0~1', ['~/']],
    ['/~1~0', ['/~']],
    ['//x', ['x']],
    ['/constructor', ['constructor']],
  ])('%j', (pointer, path) => {
    expect(decodePointer(pointer)).toEqual(path);
  });
});
