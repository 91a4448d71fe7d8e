import { describe, expect, it } from 'vitest';
import { imageLocations, locationPatch, newLocationUrls, type LocationPatchOptions } from '../../src/core/location-rules.js';
import type { Image } from '../../src/core/image.js';
import { ID, makeImage, op } from './fixtures.js';

const A = 'http://a.example/img';
const B = 'http://b.example/img';
const C = 'http://c.example/img';
const storeUrl = (store: string, id: string) => `file:///data/${store}/${id}`;

function options(over: Partial<LocationPatchOptions> = {}): LocationPatchOptions {
  return {
    storeUrl,
    multiStore: true,
    quota: 10,
    remoteSizes: new Map([[A, 10], [B, 10], [C, 10]]),
    removedStores: [],
    ...over,
  };
}

function withExternal(urls: string[], over: Partial<Image> = {}): Image {
  return makeImage({ status: 'active', size: 10, locations: urls.map((url) => ({ url, metadata: {}, status: 'active' })), ...over });
}

function apply(image: Image, o: ReturnType<typeof op>, opts = options()): Image {
  const draft = structuredClone(image);
  locationPatch(opts)(o, draft, { isAdmin: true } as never);
  return draft;
}

describe('imageLocations', () => {
  it('lists store copies first (with their store in metadata), then external locations', () => {
    const image = withExternal([A], { stores: ['fast', 'cheap'] });
    expect(imageLocations(image, storeUrl, true)).toEqual([
      { url: `file:///data/fast/${ID}`, metadata: { store: 'fast' }, store: 'fast' },
      { url: `file:///data/cheap/${ID}`, metadata: { store: 'cheap' }, store: 'cheap' },
      { url: A, metadata: {} },
    ]);
    expect(imageLocations(image, storeUrl, false)[0]!.metadata).toEqual({});
  });
});

describe('locationPatch positions (Glance _get_locations_op_pos)', () => {
  it('add: "-" appends, a digit inserts there, past the end appends, anything else is 400', () => {
    const image = withExternal([A, B]);
    const loc = { url: C, metadata: {} };
    expect(apply(image, op('add', ['locations', '-'], loc)).locations.map((l) => l.url)).toEqual([A, B, C]);
    expect(apply(image, op('add', ['locations', '1'], loc)).locations.map((l) => l.url)).toEqual([A, C, B]);
    expect(apply(image, op('add', ['locations', '9'], loc)).locations.map((l) => l.url)).toEqual([A, B, C]);
    for (const bad of ['x', '-1', '1.5']) {
      expect(() => apply(image, op('add', ['locations', bad], loc))).toThrow('Invalid position for adding a location.');
    }
  });

  it('remove: a digit below the length, or "-" for the last; out of range is 400', () => {
    const image = withExternal([A, B, C]);
    expect(apply(image, op('remove', ['locations', '0'])).locations.map((l) => l.url)).toEqual([B, C]);
    expect(apply(image, op('remove', ['locations', '-'])).locations.map((l) => l.url)).toEqual([A, B]);
    expect(() => apply(image, op('remove', ['locations', '3']))).toThrow('Invalid position for removing a location.');
  });

  it('removing a store copy reports the store, so its bytes can go after the commit', () => {
    const opts = options();
    const next = apply(withExternal([A], { stores: ['fast'] }), op('remove', ['locations', '0']), opts);
    expect(next.stores).toEqual([]);
    expect(opts.removedStores).toEqual(['fast']);
  });
});

describe('locationPatch validation', () => {
  it('a URL that was not sized (refused, unreachable, size 0) is an invalid location', () => {
    const image = makeImage({ status: 'queued' });
    const sizes = new Map([[A, 0]]);
    for (const url of [A, 'http://unknown.example/', 'file:///etc/passwd']) {
      expect(() => apply(image, op('add', ['locations', '-'], { url, metadata: {} }), options({ remoteSizes: sizes }))).toThrow('Invalid location');
    }
  });

  it('a queued image turns active with the remote size and the validation data', () => {
    const vd = { checksum: 'a'.repeat(32), os_hash_algo: 'sha512', os_hash_value: 'b'.repeat(128) };
    const next = apply(makeImage({ status: 'queued' }), op('add', ['locations', '-'], { url: A, metadata: {}, validation_data: vd }));
    expect([next.status, next.size, next.checksum, next.os_hash_algo, next.os_hash_value]).toEqual(['active', 10, vd.checksum, 'sha512', vd.os_hash_value]);
  });

  it('validation data may not contradict itself or what is set, nor change an active image', () => {
    const vd = (h: string) => ({ os_hash_algo: 'sha512', os_hash_value: h.repeat(128) });
    const queued = makeImage({ status: 'queued' });
    expect(() =>
      apply(queued, op('replace', 'locations', [{ url: A, metadata: {}, validation_data: vd('a') }, { url: B, metadata: {}, validation_data: vd('b') }])),
    ).toThrow('Conflicting values for os_hash_value');
    const active = withExternal([A], { os_hash_algo: null, os_hash_value: null });
    expect(() => apply(active, op('add', ['locations', '-'], { url: B, metadata: {}, validation_data: vd('a') }))).toThrow(
      "New value(s) for os_hash_algo, os_hash_value may only be provided when image status is 'queued'",
    );
    const hashed = withExternal([A], { os_hash_algo: 'sha512', os_hash_value: 'c'.repeat(128) });
    expect(() => apply(hashed, op('add', ['locations', '-'], { url: B, metadata: {}, validation_data: vd('a') }))).toThrow(
      'os_hash_value is already set with a different value',
    );
    expect(() => apply(queued, op('add', ['locations', '-'], { url: A, metadata: {}, validation_data: { ...vd('a'), checksum: 'zz'.repeat(16) } }))).toThrow(
      'is not a valid hexadecimal value',
    );
  });

  it('replace keeps the list only with the same URLs (metadata may change); a new list needs an empty one', () => {
    const image = withExternal([A, B]);
    const next = apply(image, op('replace', 'locations', [{ url: B, metadata: { x: 1 } }, { url: A, metadata: {} }]));
    expect(next.locations.map((l) => [l.url, l.metadata])).toEqual([[B, { x: 1 }], [A, {}]]);
    expect(() => apply(image, op('replace', 'locations', [{ url: C, metadata: {} }]))).toThrow('Original locations is not empty');
    expect(() => apply(makeImage({ status: 'queued' }), op('replace', 'locations', [{ url: A, metadata: {} }, { url: A, metadata: {} }]))).toThrow(
      `The location ${A} already exists`,
    );
  });

  it('statuses: add/replace need queued or active, remove needs active', () => {
    for (const status of ['saving', 'importing', 'deactivated', 'uploading'] as const) {
      const image = withExternal([A, B], { status });
      expect(() => apply(image, op('add', ['locations', '-'], { url: C, metadata: {} }))).toThrow(`It's not allowed to add locations if image status is ${status}.`);
      expect(() => apply(image, op('replace', 'locations', [{ url: A, metadata: {} }, { url: B, metadata: {} }]))).toThrow(
        `It's not allowed to replace locations if image status is ${status}.`,
      );
      expect(() => apply(image, op('remove', ['locations', '0']))).toThrow(`It's not allowed to remove locations if image status is ${status}.`);
    }
  });

  it('the location quota counts every location, store copies included', () => {
    const image = withExternal([A], { stores: ['fast'] });
    expect(() => apply(image, op('add', ['locations', '-'], { url: B, metadata: {} }), options({ quota: 2 }))).toThrow(
      'Attempted: 3, Maximum: 2',
    );
  });
});

describe('newLocationUrls', () => {
  it('collects the URLs of add and replace values, once each, and ignores the rest', () => {
    expect(
      newLocationUrls([
        op('add', ['locations', '-'], { url: A, metadata: {} }),
        op('replace', 'locations', [{ url: A, metadata: {} }, { url: B, metadata: {} }]),
        op('remove', ['locations', '0']),
        op('add', 'name', C),
      ]),
    ).toEqual([A, B]);
  });
});
