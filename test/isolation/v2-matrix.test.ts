/**
 * Isolation matrix, Glance v2 dialect: every image kind × every caller × every route, generated from rules.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../gateway/harness.js';
import { DATA, assertLists, assertNoNameLeak, call, makeImage, startIsolationGateway, type Img } from './fixture.js';
import { CALLERS, KINDS, V2_MUTATING, V2_ROUTES, deletes, expectV2, kindLabel, v2ListedByDefault, type Caller, type ImageKind, type V2Route } from './rules.js';

interface Cell {
  route: V2Route;
  kind: ImageKind;
  caller: Caller;
  status: number;
}

const cells: Cell[] = V2_ROUTES.flatMap((route) =>
  KINDS.flatMap((kind) => CALLERS.map((caller) => ({ route, kind, caller, status: expectV2(route, kind, caller).status }))),
);

const PATCH_TYPE = { 'Content-Type': 'application/openstack-images-v2.1-json-patch' };

async function perform(url: string, route: V2Route, img: Img, caller: Caller): Promise<Response> {
  const base = `${url}/v2/images/${img.id}`;
  switch (route) {
    case 'show':
      return call(base, 'GET', caller);
    case 'list':
      return call(`${url}/v2/images?limit=1000`, 'GET', caller);
    case 'download':
      return call(`${base}/file`, 'GET', caller);
    case 'patch':
      return call(base, 'PATCH', caller, [{ op: 'add', path: '/x_cell', value: 'touched' }], PATCH_TYPE);
    case 'delete':
      return call(base, 'DELETE', caller);
    case 'members-list':
      return call(`${base}/members`, 'GET', caller);
    case 'member-add':
      return call(`${base}/members`, 'POST', caller, { member: 'p-new' });
    case 'tag-add':
      return call(`${base}/tags/cell-tag`, 'PUT', caller);
  }
}

/** All images every list page of the caller's default v2 list returns. */
async function defaultListAll(url: string, caller: Caller): Promise<string[]> {
  const ids: string[] = [];
  let next: string | undefined = '/v2/images?limit=1000';
  while (next !== undefined) {
    const res = await call(`${url}${next}`, 'GET', caller);
    expect(res.status).toBe(200);
    const page = (await res.json()) as { images: { id: string }[]; next?: string };
    ids.push(...page.images.map((i) => i.id));
    next = page.next;
  }
  return ids;
}

describe('isolation matrix — v2', () => {
  let h: Harness;
  const shared = new Map<string, Img>();

  beforeAll(async () => {
    h = await startIsolationGateway();
    for (const kind of KINDS) shared.set(kindLabel(kind), await makeImage(h.url, kind));
  });
  afterAll(() => h.stop());

  it('creates images of every kind with the intended visibility and member status', async () => {
    for (const img of shared.values()) {
      const res = await call(`${h.url}/v2/images/${img.id}`, 'GET', 'owner');
      const body = (await res.json()) as { visibility: string; protected: boolean };
      expect(body.visibility).toBe(img.kind.vis.startsWith('shared-') ? 'shared' : img.kind.vis);
      expect(body.protected).toBe(img.kind.protected);
      if (img.kind.vis.startsWith('shared-')) {
        const m = await call(`${h.url}/v2/images/${img.id}/members/p-member`, 'GET', 'owner');
        expect(((await m.json()) as { status: string }).status).toBe(img.kind.vis.slice(7));
      }
    }
  });

  it.each(cells.map((c) => ({ ...c, label: `v2 ${c.route} | ${kindLabel(c.kind)} | ${c.caller} → ${c.status}` })))(
    '$label',
    async ({ route, kind, caller }) => {
      const exp = expectV2(route, kind, caller);
      const img = V2_MUTATING.has(route) ? await makeImage(h.url, kind) : shared.get(kindLabel(kind))!;
      const res = await perform(h.url, route, img, caller);
      const text = await res.text();
      expect(res.status, text).toBe(exp.status);
      assertNoNameLeak(text, img, res.status);
      if (route === 'list' && exp.status === 200) {
        const ids = (JSON.parse(text) as { images: { id: string }[]; next?: string }).images.map((i) => i.id);
        expect(ids.includes(img.id)).toBe(exp.listed);
      }
      if (route === 'download' && exp.status === 200) expect(text).toBe(DATA);
      if (route === 'members-list' && exp.status === 200) {
        const { members } = JSON.parse(text) as { members: { member_id: string }[] };
        expect(members.map((m) => m.member_id).sort()).toEqual(exp.members);
      }
      if (route === 'member-add' && exp.status === 200) expect((JSON.parse(text) as { status: string }).status).toBe('pending');
      await assertLists(h.url, img, caller, deletes(route, exp));
      if (deletes(route, exp)) expect((await call(`${h.url}/v2/images/${img.id}`, 'GET', 'admin')).status).toBe(404);
    },
  );

  it.each(['owner', 'member', 'other', 'reader', 'admin'] as const)(
    'v2 full default list | %s sees no image it must not (all pages)',
    async (caller) => {
      const ids = new Set(await defaultListAll(h.url, caller));
      for (const img of shared.values()) {
        expect({ kind: kindLabel(img.kind), listed: ids.has(img.id) }).toEqual({ kind: kindLabel(img.kind), listed: v2ListedByDefault(img.kind, caller) });
      }
    },
  );
});
