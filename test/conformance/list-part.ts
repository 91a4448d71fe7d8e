/** listImages: filters, ordering, keyset pagination (spec v2 §5.3). */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../src/core/context.js';
import { BadRequestError, ForbiddenError } from '../../src/core/errors.js';
import type { Image } from '../../src/core/image.js';
import type { ImageFilters, SortDir, SortSpec } from '../../src/core/query.js';
import { expectedOrder, expectReject, ids, NO_ABORT, sorted, type Harness } from './harness.js';

const HOUR = 3600_000;

export function listTests(h: () => Harness): void {
  describe('list filters', () => {
    let scope = '';
    let ctx: RequestContext;
    const I = {} as Record<'A' | 'B' | 'C' | 'D' | 'E', Image>;

    beforeAll(async () => {
      scope = h().scope();
      ctx = h().user(h().project('lister'));
      I.A = await h().create(ctx, scope, {
        name: 'alpha', disk_format: 'raw', container_format: 'bare', tags: ['x', 'y'], os_distro: 'ubuntu', min_ram: 512,
      });
      I.B = await h().create(ctx, scope, { name: 'beta', disk_format: 'qcow2', container_format: 'bare', tags: ['x'], os_distro: 'debian' });
      I.C = await h().create(ctx, scope, { name: 'gamma', protected: true, min_disk: 7 });
      I.D = await h().create(ctx, scope, { name: 'alpha', os_hidden: true, tags: ['x'] });
      I.E = await h().create(ctx, scope, { name: 'with:colon', visibility: 'private' });
      I.A = await h().upload(ctx, I.A.id, Buffer.alloc(10, 1));
      I.B = await h().upload(ctx, I.B.id, Buffer.alloc(100, 2));
    });

    const cases: Array<[string, () => ImageFilters, () => string[]]> = [
      ['no filter (hidden excluded)', () => ({}), () => [I.A.id, I.B.id, I.C.id, I.E.id]],
      ['os_hidden=true returns only hidden', () => ({ os_hidden: true }), () => [I.D.id]],
      ['os_hidden=false', () => ({ os_hidden: false }), () => [I.A.id, I.B.id, I.C.id, I.E.id]],
      ['name eq', () => ({ name: { op: 'eq', value: 'alpha' } }), () => [I.A.id]],
      ['name eq with a colon', () => ({ name: { op: 'eq', value: 'with:colon' } }), () => [I.E.id]],
      ['name eq, hidden', () => ({ name: { op: 'eq', value: 'alpha' }, os_hidden: true }), () => [I.D.id]],
      ['name in', () => ({ name: { op: 'in', values: ['beta', 'gamma', 'nope'] } }), () => [I.B.id, I.C.id]],
      ['name in (no values)', () => ({ name: { op: 'in', values: [] } }), () => []],
      ['status eq active', () => ({ status: { op: 'eq', value: 'active' } }), () => [I.A.id, I.B.id]],
      ['status in queued', () => ({ status: { op: 'in', values: ['queued'] } }), () => [I.C.id, I.E.id]],
      ['status bogus', () => ({ status: { op: 'eq', value: 'bogus' } }), () => []],
      ['id in', () => ({ id: { op: 'in', values: [I.A.id, I.C.id, randomUUID()] } }), () => [I.A.id, I.C.id]],
      ['disk_format eq', () => ({ disk_format: { op: 'eq', value: 'raw' } }), () => [I.A.id]],
      ['container_format in', () => ({ container_format: { op: 'in', values: ['bare', 'ovf'] } }), () => [I.A.id, I.B.id]],
      ['one tag', () => ({ tags: ['x'] }), () => [I.A.id, I.B.id]],
      ['tags are ANDed', () => ({ tags: ['x', 'y'] }), () => [I.A.id]],
      ['tags ANDed, no match', () => ({ tags: ['y', 'z'] }), () => []],
      ['tags are case-sensitive', () => ({ tags: ['X'] }), () => []],
      ['extra property', () => ({ properties: { os_distro: 'ubuntu' } }), () => [I.A.id]],
      ['two extra properties', () => ({ properties: { os_distro: 'debian', missing: 'x' } }), () => []],
      ['protected=true', () => ({ protected: true }), () => [I.C.id]],
      ['protected=false', () => ({ protected: false }), () => [I.A.id, I.B.id, I.E.id]],
      ['owner', () => ({ owner: ctx.projectId! }), () => [I.A.id, I.B.id, I.C.id, I.E.id]],
      ['other owner', () => ({ owner: 'someone-else' }), () => []],
      ['size_min', () => ({ numeric: [{ column: 'size', op: 'gte', value: 50 }] }), () => [I.B.id]],
      ['size_max (null sizes never match)', () => ({ numeric: [{ column: 'size', op: 'lte', value: 50 }] }), () => [I.A.id]],
      ['size_min and size_max', () => ({ numeric: [{ column: 'size', op: 'gte', value: 10 }, { column: 'size', op: 'lte', value: 100 }] }), () => [I.A.id, I.B.id]],
      ['size_min exact bound', () => ({ numeric: [{ column: 'size', op: 'gte', value: 11 }] }), () => [I.B.id]],
      ['size eq', () => ({ numeric: [{ column: 'size', op: 'eq', value: 10 }] }), () => [I.A.id]],
      ['min_ram eq', () => ({ numeric: [{ column: 'min_ram', op: 'eq', value: 512 }] }), () => [I.A.id]],
      ['min_disk_min', () => ({ numeric: [{ column: 'min_disk', op: 'gte', value: 1 }] }), () => [I.C.id]],
      ['checksum', () => ({ checksum: I.A.checksum! }), () => [I.A.id]],
      ['os_hash_value', () => ({ os_hash_value: I.B.os_hash_value! }), () => [I.B.id]],
      ['visibility private', () => ({ visibility: 'private' }), () => [I.E.id]],
    ];
    it.each(cases)('%s', async (_what, filters, expected) => {
      expect(sorted(await h().listIds(ctx, scope, filters()))).toEqual(sorted(expected()));
    });

    it('created_at operators', async () => {
      const t = I.A.created_at;
      const all = sorted([I.A.id, I.B.id, I.C.id, I.E.id]);
      const q = async (op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq', value: number) =>
        sorted(await h().listIds(ctx, scope, { dates: [{ column: 'created_at', op, value }] }));
      expect(await q('lt', t + HOUR)).toEqual(all);
      expect(await q('lte', t + HOUR)).toEqual(all);
      expect(await q('gt', t + HOUR)).toEqual([]);
      expect(await q('gte', t - HOUR)).toEqual(all);
      expect(await q('gt', t - HOUR)).toEqual(all);
      expect(await q('lt', t - HOUR)).toEqual([]);
      expect(await q('neq', t - HOUR)).toEqual(all);
      expect(await q('eq', t - HOUR)).toEqual([]);
      expect(await q('eq', t)).toContain(I.A.id);
      expect(await q('neq', t)).not.toContain(I.A.id);
      expect(await q('gte', t)).toContain(I.A.id);
      expect(await q('lte', t)).toContain(I.A.id);
      const upd = sorted(await h().listIds(ctx, scope, { dates: [{ column: 'updated_at', op: 'gte', value: t - HOUR }] }));
      expect(upd).toEqual(all);
    });
  });

  describe('list ordering and pagination', () => {
    let scope = '';
    let ctx: RequestContext;
    let all: Image[] = [];

    beforeAll(async () => {
      scope = h().scope();
      ctx = h().user(h().project('pager'));
      const specs: Array<Record<string, unknown>> = [
        { name: 'b', disk_format: 'raw' },
        { name: 'a', disk_format: 'qcow2' },
        { name: 'c' },
        { name: 'a', disk_format: 'raw' },
        {},
        { name: 'b', disk_format: 'iso' },
        { name: 'd', disk_format: 'raw' },
      ];
      for (const s of specs) {
        await h().tick();
        await h().create(ctx, scope, { container_format: 'bare', ...s });
      }
      const sizes = [3, 30, 3];
      const queued = (await h().core.listImages(ctx, h().query(scope, {}, { sort: [{ key: 'name', dir: 'asc' }] }), NO_ABORT)).images;
      for (const [i, n] of sizes.entries()) {
        const target = queued.filter((x) => x.disk_format !== null)[i]!;
        await h().tick();
        await h().upload(ctx, target.id, Buffer.alloc(n, i));
      }
      all = (await h().core.listImages(ctx, h().query(scope), NO_ABORT)).images;
      expect(all).toHaveLength(7);
    });

    const orders: Array<[string, SortSpec[], SortDir]> = [
      ['default: created_at desc, id desc', [], 'desc'],
      ['implicit keys ascending', [], 'asc'],
      ['name asc (null name first, ties by created_at/id)', [{ key: 'name', dir: 'asc' }], 'asc'],
      ['name desc', [{ key: 'name', dir: 'desc' }], 'desc'],
      ['name asc with desc tie-breakers', [{ key: 'name', dir: 'asc' }], 'desc'],
      ['size desc (null as 0)', [{ key: 'size', dir: 'desc' }], 'desc'],
      ['size asc', [{ key: 'size', dir: 'asc' }], 'asc'],
      ['disk_format asc, name desc', [{ key: 'disk_format', dir: 'asc' }, { key: 'name', dir: 'desc' }], 'desc'],
      ['status asc, size desc', [{ key: 'status', dir: 'asc' }, { key: 'size', dir: 'desc' }], 'desc'],
      ['id asc', [{ key: 'id', dir: 'asc' }], 'asc'],
      ['created_at asc, id desc', [{ key: 'created_at', dir: 'asc' }, { key: 'id', dir: 'desc' }], 'desc'],
      ['updated_at desc', [{ key: 'updated_at', dir: 'desc' }], 'desc'],
      ['container_format asc, disk_format desc', [{ key: 'container_format', dir: 'asc' }, { key: 'disk_format', dir: 'desc' }], 'asc'],
    ];

    it.each(orders)('sorts by %s', async (_what, sort, defaultDir) => {
      const page = await h().core.listImages(ctx, h().query(scope, {}, { sort, defaultDir }), NO_ABORT);
      expect(ids(page.images)).toEqual(expectedOrder(all, sort, defaultDir));
      expect(page.full).toBe(false);
    });

    it.each(orders)('pages with a marker, no duplicates or gaps: %s', async (_what, sort, defaultDir) => {
      for (const limit of [1, 2, 3]) {
        const seen: string[] = [];
        let marker: string | undefined;
        for (let guard = 0; guard < 20; guard++) {
          const page = await h().core.listImages(ctx, h().query(scope, {}, { sort, defaultDir, limit, ...(marker ? { marker } : {}) }), NO_ABORT);
          expect(page.images.length).toBeLessThanOrEqual(limit);
          expect(page.full).toBe(page.images.length === limit);
          seen.push(...ids(page.images));
          if (!page.full) break;
          marker = page.images.at(-1)!.id;
        }
        expect(seen, `limit ${limit}`).toEqual(expectedOrder(all, sort, defaultDir));
      }
    });

    it('a last page of exactly `limit` is full and the next one is empty', async () => {
      const page = await h().core.listImages(ctx, h().query(scope, {}, { limit: 7 }), NO_ABORT);
      expect(page.images).toHaveLength(7);
      expect(page.full).toBe(true);
      const next = await h().core.listImages(ctx, h().query(scope, {}, { limit: 7, marker: page.images.at(-1)!.id }), NO_ABORT);
      expect(next).toEqual({ images: [], full: false });
    });

    it('limit 0 → empty and not full', async () => {
      expect(await h().core.listImages(ctx, h().query(scope, {}, { limit: 0 }), NO_ABORT)).toEqual({ images: [], full: false });
    });

    it('filters apply together with the marker', async () => {
      const raw = all.filter((i) => i.disk_format === 'raw');
      const sort: SortSpec[] = [{ key: 'name', dir: 'asc' }];
      const first = await h().core.listImages(ctx, h().query(scope, { disk_format: { op: 'eq', value: 'raw' } }, { sort, limit: 1 }), NO_ABORT);
      const rest = await h().core.listImages(
        ctx,
        h().query(scope, { disk_format: { op: 'eq', value: 'raw' } }, { sort, limit: 10, marker: first.images[0]!.id }),
        NO_ABORT,
      );
      expect([...ids(first.images), ...ids(rest.images)]).toEqual(expectedOrder(raw, sort, 'desc'));
    });

    it('an unknown or deleted marker → BadRequest; an invisible one → Forbidden', async () => {
      await expectReject(h().core.listImages(ctx, h().query(scope, {}, { marker: randomUUID() }), NO_ABORT), BadRequestError);
      const gone = await h().create(ctx, h().scope());
      await h().core.deleteImage(ctx, gone.id, NO_ABORT);
      await expectReject(h().core.listImages(ctx, h().query(scope, {}, { marker: gone.id }), NO_ABORT), BadRequestError);
      const stranger = h().user(h().project('stranger'));
      await expectReject(h().core.listImages(stranger, h().query(scope, {}, { marker: all[0]!.id }), NO_ABORT), ForbiddenError);
    });
  });
}
