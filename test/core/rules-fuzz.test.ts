import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../src/core/context.js';
import { isCoreError } from '../../src/core/errors.js';
import type { Image, ImageCreateInput } from '../../src/core/image.js';
import { applyPatch, validateCreate, type ImageLimits, type NewImageFields } from '../../src/core/image-rules.js';
import type { PatchOp } from '../../src/core/patch.js';
import { makePolicy } from '../../src/core/policy.js';
import { assertImageSchema } from '../../src/core/schema-check.js';
import { ctxs, FORMATS, ID, makeImage } from './fixtures.js';

/** Small deterministic PRNG (mulberry32) so a failure is reproducible from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const KEYS = [
  'name', 'disk_format', 'container_format', 'visibility', 'protected', 'min_ram', 'min_disk', 'owner', 'os_hidden',
  'tags', 'status', 'id', 'size', 'checksum', 'self', 'stores', 'locations', 'location', 'deleted', 'os_glance_x',
  'os_hash_algo', 'foo', 'os_distro', 'kernel_id', 'description', 'new1', 'new2', 'a/b', '__proto__', '',
  'cinder_encryption_key_deletion_policy', 'k'.repeat(256),
];
const VALUES: unknown[] = [
  'x', '', 'raw', 'bare', 'public', 'private', 'community', 'shared', 'proj1', 'proj2', '😀', 'n'.repeat(256),
  ID, 0, 1, -1, 2 ** 31, 1.5, true, false, null, [], ['a'], ['a', 'a', 'b'], ['a', 'b', 'c', 'd'], [5], {},
  { url: 'u', metadata: {} }, 'on_image_deletion',
];
// Weighted towards callers who may write, so that the success path gets exercised.
const CTXS: RequestContext[] = [ctxs.owner, ctxs.owner, ctxs.owner, ctxs.admin, ctxs.admin, ctxs.other, ctxs.noProject, ctxs.anon];
const LIMITS: ImageLimits = { propertyQuota: 4, tagQuota: 3, memberQuota: 3, locationQuota: 2 };
const policy = makePolicy();

/** Mostly plausible values for the key, so that a good share of the random patches succeed. */
function plausibleValue(r: () => number, key: string): unknown {
  switch (key) {
    case 'name': return pick(r, ['x', '', null]);
    case 'visibility': return pick(r, ['private', 'shared', 'community', 'public']);
    case 'protected':
    case 'os_hidden': return r() < 0.5;
    case 'min_ram':
    case 'min_disk': return pick(r, [0, 1, 512, 2147483647, -1, 2 ** 31]);
    case 'tags': return structuredClone(pick(r, [[], ['a'], ['a', 'a', 'b'], ['a', 'b', 'c', 'd']]));
    case 'disk_format': return pick(r, ['raw', 'qcow2', null]);
    case 'container_format': return pick(r, ['bare', null]);
    case 'owner': return pick(r, ['proj1', 'proj2', null, '']);
    case 'kernel_id': return pick(r, [ID, null]);
    default: return pick(r, ['x', 'y', '', '😀']);
  }
}
const PLAUSIBLE_KEYS = [
  'name', 'visibility', 'protected', 'os_hidden', 'min_ram', 'min_disk', 'tags', 'disk_format', 'container_format',
  'owner', 'kernel_id', 'foo', 'os_distro', 'description', 'new1', 'new2', 'a/b', '__proto__', '', 'a', 'b',
];

function randomOp(r: () => number): PatchOp {
  const kind = pick(r, ['add', 'replace', 'remove'] as const);
  const plausible = r() < 0.8;
  const key = plausible ? pick(r, PLAUSIBLE_KEYS) : pick(r, KEYS);
  const path = key === 'locations' && kind !== 'replace' ? [key, pick(r, ['-', '0'])] : r() < 0.03 ? [key, 'x'] : [key];
  const hasValue = kind !== 'remove' && r() > 0.02;
  const value = plausible ? plausibleValue(r, key) : structuredClone(pick(r, VALUES));
  return { op: kind, path, ...(hasValue ? { value } : {}), hasValue, strictAdd: r() < 0.2 };
}

function randomImage(r: () => number): Image {
  return makeImage({
    status: pick(r, ['queued', 'active', 'importing', 'deactivated'] as const),
    owner: pick(r, ['proj1', 'proj1', 'proj1', 'proj2', null]),
    properties: pick<Record<string, string>>(r, [{}, { foo: 'bar' }, { foo: 'bar', os_glance_failed_import: '' }, { a: '1', b: '2', c: '3', d: '4' }]),
    tags: pick(r, [[], ['a'], ['x', 'y', 'z']]),
  });
}

/** What must hold for any stored image, whatever sequence of patches produced it. */
function assertStorable(image: Image): void {
  for (const [k, v] of Object.entries(image.properties)) {
    expect(typeof v).toBe('string');
    expect([...k].length).toBeLessThanOrEqual(255);
  }
  expect(new Set(image.tags).size).toBe(image.tags.length);
  expect(image.tags.length).toBeLessThanOrEqual(LIMITS.tagQuota);
  for (const n of [image.min_ram, image.min_disk]) expect(n >= 0 && n <= 2147483647 && Number.isInteger(n)).toBe(true);
  expect(JSON.stringify(image)).not.toMatch(/[\u{10000}-\u{10FFFF}]/u);
}

describe('applyPatch over random op lists', () => {
  it.each(Array.from({ length: 40 }, (_, i) => i + 1))('seed %i: never mutates its input, all-or-nothing', (seed) => {
    const r = rng(seed);
    for (let round = 0; round < 100; round++) {
      const image = randomImage(r);
      const before = structuredClone(image);
      const ops = Array.from({ length: r() < 0.1 ? 0 : 1 + Math.floor(r() * 3) }, () => randomOp(r));
      const opsBefore = structuredClone(ops);
      const ctx = pick(r, CTXS);
      let out: { image: Image; changed: boolean } | undefined;
      try {
        out = applyPatch(image, ops, ctx, policy, LIMITS, FORMATS);
      } catch (e) {
        if (!isCoreError(e)) throw e;
        expect([400, 403, 409, 413]).toContain(e.status);
      }
      expect(image).toEqual(before);
      expect(ops).toEqual(opsBefore);
      if (out === undefined) continue;

      expect(out.changed).toBe(ops.length > 0);
      expect(ctx.readOnly).toBe(false);
      if (ops.length > 0) expect(policy.isOwnerOrAdmin(image, ctx)).toBe(true);
      for (const k of ['id', 'status', 'size', 'checksum', 'created_at', 'updated_at', 'os_hash_algo', 'locations'] as const) {
        expect(out.image[k]).toEqual(image[k]);
      }
      if (!ctx.isAdmin) expect(out.image.owner).toBe(image.owner);
      if (!ctx.isAdmin && out.image.visibility === 'public') expect(image.visibility).toBe('public');
      for (const k of Object.keys(out.image.properties)) {
        if (!Object.hasOwn(image.properties, k)) expect(k.startsWith('os_glance')).toBe(false);
      }
      assertStorable(out.image);
    }
  });
});

describe('validateCreate over random bodies', () => {
  const BODY_KEYS = KEYS.filter((k) => k !== '__proto__');
  it.each(Array.from({ length: 20 }, (_, i) => 1000 + i))('seed %i: never mutates the body; results are storable', (seed) => {
    const r = rng(seed);
    for (let round = 0; round < 100; round++) {
      const body: ImageCreateInput = {};
      for (let n = Math.floor(r() * 5); n > 0; n--) body[pick(r, BODY_KEYS)] = structuredClone(pick(r, VALUES));
      const before = structuredClone(body);
      const ctx = pick(r, CTXS);
      let fields: NewImageFields | undefined;
      try {
        fields = validateCreate(body, ctx, policy, LIMITS, FORMATS);
      } catch (e) {
        if (!isCoreError(e)) throw e;
        expect([400, 403, 413]).toContain(e.status);
      }
      expect(body).toEqual(before);
      if (fields === undefined) continue;
      expect(ctx.readOnly).toBe(false);
      if (!ctx.isAdmin) expect(fields.owner).toBe(ctx.projectId);
      const { id: _id, properties, ...base } = fields;
      expect(() => assertImageSchema({ ...base, ...properties }, FORMATS)).not.toThrow();
      assertStorable({ ...makeImage(), ...fields, id: fields.id ?? ID });
    }
  });
});
