import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../src/core/context.js';
import type { Image } from '../../src/core/image.js';
import { applyPatch, type PatchOptions } from '../../src/core/image-rules.js';
import type { PatchOp } from '../../src/core/patch.js';
import { makePolicy } from '../../src/core/policy.js';
import { ctxs, FORMATS, ID, LIMITS, makeImage, op, strict } from './fixtures.js';

const policy = makePolicy();
const patch = (image: Image, ops: PatchOp[], ctx: RequestContext = ctxs.owner, options?: PatchOptions) =>
  applyPatch(image, ops, ctx, policy, LIMITS, FORMATS, options);

describe('applyPatch: successful patches', () => {
  it('[] changes nothing and reports changed=false', () => {
    const image = makeImage();
    const out = patch(image, []);
    expect(out.changed).toBe(false);
    expect(out.image).toEqual(image);
  });

  it('[] needs no ownership (Glance only checks per op)', () => {
    expect(patch(makeImage(), [], ctxs.other).changed).toBe(false);
  });

  it('sets base attributes and leaves the rest, updated_at included', () => {
    const image = makeImage();
    const out = patch(image, [
      op('replace', 'name', 'renamed'),
      op('add', 'min_ram', 512),
      op('replace', 'protected', true),
      op('replace', 'os_hidden', true),
      op('replace', 'visibility', 'community'),
      op('replace', 'disk_format', 'qcow2'),
      op('add', 'container_format', 'bare'),
    ]);
    expect(out.changed).toBe(true);
    expect(out.image).toEqual({
      ...image,
      name: 'renamed', min_ram: 512, protected: true, os_hidden: true, visibility: 'community',
      disk_format: 'qcow2', container_format: 'bare',
    });
  });

  it('reports changed=true even when every value was already set (Glance saves anyway)', () => {
    expect(patch(makeImage(), [op('replace', 'name', 'img1')]).changed).toBe(true);
  });

  it('keeps property order: replace in place, add at the end, remove then add moves to the end', () => {
    const image = makeImage({ properties: { a: '1', b: '2', c: '3' } });
    const out = patch(image, [op('replace', 'a', 'x'), op('add', 'd', '4'), op('remove', 'b'), op('add', 'b', 'y')]);
    expect(Object.entries(out.image.properties)).toEqual([['a', 'x'], ['c', '3'], ['d', '4'], ['b', 'y']]);
  });

  it('v2.1 add overwrites an existing extra and a base attribute', () => {
    const out = patch(makeImage(), [op('add', 'foo', 'baz'), op('add', 'name', 'n2')]);
    expect(out.image).toMatchObject({ name: 'n2', properties: { foo: 'baz' } });
  });

  it('v2.0 add creates a new extra', () => {
    expect(patch(makeImage(), [strict(op('add', 'new', 'v'))]).image.properties.new).toBe('v');
  });

  it('replaces tags as a whole, de-duplicated in first-seen order', () => {
    expect(patch(makeImage(), [op('replace', 'tags', ['z', 'a', 'z', 'y'])]).image.tags).toEqual(['z', 'a', 'y']);
    expect(patch(makeImage(), [op('add', 'tags', [])]).image.tags).toEqual([]);
  });

  it('lets admins change the owner (empty means none) and publicize', () => {
    const out = patch(makeImage(), [op('replace', 'owner', 'proj2'), op('replace', 'visibility', 'public')], ctxs.admin);
    expect(out.image).toMatchObject({ owner: 'proj2', visibility: 'public' });
    expect(patch(makeImage(), [op('add', 'owner', '')], ctxs.admin).image.owner).toBeNull();
    expect(patch(makeImage(), [op('replace', 'owner', null)], ctxs.admin).image.owner).toBeNull();
  });

  it('allows format changes while importing', () => {
    expect(patch(makeImage({ status: 'importing' }), [op('replace', 'disk_format', 'raw')]).image.disk_format).toBe('raw');
  });

  it('may patch a deactivated image', () => {
    expect(patch(makeImage({ status: 'deactivated' }), [op('replace', 'name', 'x')]).image.name).toBe('x');
  });

  it('treats a null kernel_id/ramdisk_id as "no value"', () => {
    const image = makeImage({ properties: { kernel_id: ID } });
    expect(patch(image, [op('replace', 'kernel_id', null)]).image.properties).toEqual({});
    expect(patch(image, [op('add', 'ramdisk_id', null)]).image.properties).toEqual({ kernel_id: ID });
  });

  it.each([['a/b'], ['a~b'], ['~1/~0'], ['__proto__'], ['constructor'], ['toString'], ['-'], ['0'], ['']])(
    'treats %j as an ordinary property name',
    (key) => {
      const added = patch(makeImage({ properties: {} }), [op('add', key, 'v')]).image;
      expect(Object.entries(added.properties)).toEqual([[key, 'v']]);
      expect(Object.getPrototypeOf(added.properties)).toBe(Object.prototype);
      const replaced = patch(added, [op('replace', key, 'w')]).image;
      expect(Object.entries(replaced.properties)).toEqual([[key, 'w']]);
      expect(patch(added, [op('remove', key)]).image.properties).toEqual({});
    },
  );

  it('does not count os_glance bookkeeping against the property quota and skips it when nothing is added', () => {
    const image = makeImage({ properties: { a: '1', os_glance_importing_to_stores: '', os_glance_failed_import: '' } });
    const limits = { ...LIMITS, propertyQuota: 2 };
    expect(applyPatch(image, [op('add', 'b', '2')], ctxs.owner, policy, limits, FORMATS).image.properties.b).toBe('2');
    const over = makeImage({ properties: { a: '1', b: '2', c: '3' } });
    expect(applyPatch(over, [op('replace', 'a', 'x')], ctxs.owner, policy, limits, FORMATS).changed).toBe(true);
    const swapped = applyPatch(over, [op('remove', 'a'), op('add', 'd', '4')], ctxs.owner, policy, { ...limits, propertyQuota: 3 }, FORMATS);
    expect(Object.keys(swapped.image.properties)).toEqual(['b', 'c', 'd']);
  });

  it('checks quota, range and 4-byte on the final state only', () => {
    const limits = { ...LIMITS, propertyQuota: 2 };
    const ops = [op('add', 'new', 'v'), op('remove', 'foo'), op('replace', 'name', '😀'), op('replace', 'name', 'ok'),
      op('replace', 'min_ram', 2 ** 31), op('replace', 'min_ram', 1)];
    expect(applyPatch(makeImage(), ops, ctxs.owner, policy, limits, FORMATS).image).toMatchObject({ name: 'ok', min_ram: 1 });
  });

  it('returns a result that shares no arrays or objects with the input', () => {
    const image = makeImage({ locations: [{ url: 'file:///x', metadata: { k: 1 }, status: 'active' }], stores: ['s1'] });
    const out = patch(image, [op('replace', 'name', 'x')]).image;
    expect(out.tags).not.toBe(image.tags);
    expect(out.properties).not.toBe(image.properties);
    expect(out.locations).not.toBe(image.locations);
    expect(out.locations[0]?.metadata).not.toBe(image.locations[0]?.metadata);
    expect(out.stores).not.toBe(image.stores);
  });
});

describe('applyPatch: location handler hook', () => {
  const loc = { url: 'http://example.com/x', metadata: {} };

  it('lets a handler change the draft, alongside ordinary ops', () => {
    const options: PatchOptions = {
      locations: (o, draft) => {
        draft.locations.push({ ...(o.value as typeof loc), status: 'active' });
        draft.status = 'active';
      },
    };
    const image = makeImage({ disk_format: 'raw', container_format: 'bare' });
    const out = patch(image, [op('add', ['locations', '-'], loc), op('replace', 'name', 'x')], ctxs.owner, options);
    expect(out.image).toMatchObject({ status: 'active', name: 'x', locations: [{ url: loc.url, status: 'active' }] });
    expect(image.locations).toEqual([]);
  });

  it('sees earlier status changes when checking the format lock', () => {
    const options: PatchOptions = { locations: (_o, draft) => void (draft.status = 'active') };
    expect(() => patch(makeImage(), [op('add', ['locations', '-'], loc), op('replace', 'disk_format', 'raw')], ctxs.owner, options))
      .toThrow('Attribute disk_format can be only replaced for a queued image.');
  });
});
