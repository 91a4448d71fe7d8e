/** ImageQuery → v2 query string (planList): what the upstream is asked, what is checked on the page. */
import { describe, expect, it } from 'vitest';
import { makeContext } from '../../src/core/context.js';
import type { Image } from '../../src/core/image.js';
import type { ImageQuery } from '../../src/core/query.js';
import { planList } from '../../src/upstream/list-query.js';

const user = makeContext({ projectId: 'p', roles: ['member'], requestId: 'r' });
const admin = makeContext({ projectId: 'adm', roles: ['admin'], requestId: 'r' });
const q = (filters: ImageQuery['filters'], rest: Partial<ImageQuery> = {}): ImageQuery => ({ filters, sort: [], defaultDir: 'desc', limit: 10, ...rest });
const T = Date.UTC(2026, 0, 2, 3, 4, 5);
const img = (over: Partial<Image>): Image => ({ visibility: 'private', owner: 'p', created_at: T, updated_at: T, properties: {}, ...over }) as Image;

describe('planList', () => {
  it('sends eq:/in: value filters, the full sort tuple, limit and marker', () => {
    const { params } = planList(
      q({ name: { op: 'eq', value: 'a:b' }, status: { op: 'in', values: ['active', 'with,comma'] }, tags: ['x', 'y'], member_status: 'all' }, { sort: [{ key: 'name', dir: 'asc' }], marker: 'm' }),
      user,
    );
    expect(params.get('name')).toBe('eq:a:b');
    expect(params.get('status')).toBe('in:active,"with,comma"');
    expect(params.getAll('tag')).toEqual(['x', 'y']);
    expect(params.get('sort')).toBe('name:asc,created_at:desc,id:desc');
    expect(params.get('limit')).toBe('10');
    expect(params.get('marker')).toBe('m');
    expect(params.get('member_status')).toBe('all');
  });

  it('date filters: the widest bound upstream, the displayed second checked on the page', () => {
    const eq = planList(q({ dates: [{ column: 'created_at', op: 'eq', value: T + 400 }] }), user);
    expect(eq.params.get('created_at')).toBe('gte:2026-01-02T03:04:05Z');
    expect(eq.keep(img({ created_at: T }))).toBe(true);
    expect(eq.keep(img({ created_at: T + 1000 }))).toBe(false);
    const gt = planList(q({ dates: [{ column: 'updated_at', op: 'gt', value: T }] }), user);
    expect(gt.params.get('updated_at')).toBe('gte:2026-01-02T03:04:06Z');
    expect(gt.keep(img({ updated_at: T }))).toBe(false);
    const neq = planList(q({ dates: [{ column: 'created_at', op: 'neq', value: T }] }), user);
    expect(neq.params.has('created_at')).toBe(false);
    expect(neq.keep(img({ created_at: T }))).toBe(false);
  });

  it('numeric ranges, and property filters that collide with v2 parameters are checked locally', () => {
    const plan = planList(q({ numeric: [{ column: 'size', op: 'gt', value: 5 }, { column: 'min_ram', op: 'lte', value: 64 }], properties: { limit: '3', os_distro: 'x' } }), user);
    expect(plan.params.get('size_min')).toBe('6');
    expect(plan.params.get('min_ram_max')).toBe('64');
    expect(plan.params.get('os_distro')).toBe('x');
    expect(plan.params.get('limit')).toBe('10');
    expect(plan.keep(img({ properties: { limit: '3' } }))).toBe(true);
    expect(plan.keep(img({ properties: { limit: '4' } }))).toBe(false);
  });

  it('v1 admin scopes: as-user keeps public and own; non-public drops public and others’ community', () => {
    const asUser = planList(q({ adminScope: 'as-user' }), admin);
    expect(asUser.params.has('visibility')).toBe(false);
    expect(asUser.keep(img({ visibility: 'public', owner: 'x' }))).toBe(true);
    expect(asUser.keep(img({ visibility: 'private', owner: 'x' }))).toBe(false);
    expect(asUser.keep(img({ visibility: 'private', owner: 'adm' }))).toBe(true);
    const nonPublic = planList(q({ adminScope: 'non-public' }), admin);
    expect(nonPublic.params.get('visibility')).toBe('all');
    expect(nonPublic.keep(img({ visibility: 'public', owner: 'x' }))).toBe(false);
    expect(nonPublic.keep(img({ visibility: 'community', owner: 'x' }))).toBe(false);
    expect(nonPublic.keep(img({ visibility: 'shared', owner: 'x' }))).toBe(true);
    // Ignored for non-admins.
    expect(planList(q({ adminScope: 'non-public' }), user).keep(img({ visibility: 'public' }))).toBe(true);
  });
});
