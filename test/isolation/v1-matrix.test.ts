/**
 * Isolation matrix, legacy v1 dialect: every image kind × every caller × every route, generated from rules.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../gateway/harness.js';
import { DATA, assertLists, assertNoNameLeak, call, makeImage, startIsolationGateway, type Img } from './fixture.js';
import { CALLERS, KINDS, V1_MUTATING, V1_ROUTES, deletes, expectV1, kindLabel, v1Listed, type Caller, type ImageKind, type V1Route } from './rules.js';

interface Cell {
  route: V1Route;
  kind: ImageKind;
  caller: Caller;
  status: number;
}

const cells: Cell[] = V1_ROUTES.flatMap((route) =>
  KINDS.flatMap((kind) => CALLERS.map((caller) => ({ route, kind, caller, status: expectV1(route, kind, caller).status }))),
);

async function perform(url: string, route: V1Route, img: Img, caller: Caller): Promise<Response> {
  const base = `${url}/v1/images/${img.id}`;
  switch (route) {
    case 'head':
      return call(base, 'HEAD', caller);
    case 'get':
      return call(base, 'GET', caller);
    case 'detail':
      return call(`${url}/v1/images/detail?limit=1000`, 'GET', caller);
    case 'put':
      return call(base, 'PUT', caller, undefined, { 'x-image-meta-property-cell': 'touched', 'x-glance-registry-purge-props': 'false' });
    case 'delete':
      return call(base, 'DELETE', caller);
    case 'members-list':
      return call(`${base}/members`, 'GET', caller);
    case 'member-add':
      return call(`${base}/members/p-new`, 'PUT', caller);
  }
}

/** Every id of the caller's v1 detail list, following marker pages. */
async function detailAll(url: string, caller: Caller): Promise<string[]> {
  const ids: string[] = [];
  let marker = '';
  for (;;) {
    const res = await call(`${url}/v1/images/detail?limit=100${marker}`, 'GET', caller);
    expect(res.status).toBe(200);
    const page = ((await res.json()) as { images: { id: string }[] }).images.map((i) => i.id);
    ids.push(...page);
    if (page.length < 100) return ids;
    marker = `&marker=${page[page.length - 1]}`;
  }
}

describe('isolation matrix — v1', () => {
  let h: Harness;
  const shared = new Map<string, Img>();

  beforeAll(async () => {
    h = await startIsolationGateway();
    for (const kind of KINDS) shared.set(kindLabel(kind), await makeImage(h.url, kind));
  });
  afterAll(() => h.stop());

  it.each(cells.map((c) => ({ ...c, label: `v1 ${c.route} | ${kindLabel(c.kind)} | ${c.caller} → ${c.status}` })))(
    '$label',
    async ({ route, kind, caller }) => {
      const exp = expectV1(route, kind, caller);
      const img = V1_MUTATING.has(route) ? await makeImage(h.url, kind) : shared.get(kindLabel(kind))!;
      const res = await perform(h.url, route, img, caller);
      const text = await res.text();
      expect(res.status, text).toBe(exp.status);
      assertNoNameLeak(text, img, res.status);
      if ((route === 'head' || route === 'get') && exp.status === 200) {
        expect(res.headers.get('x-image-meta-id')).toBe(img.id);
        if (route === 'get') expect(text).toBe(DATA);
      }
      if (exp.status === 404 && route !== 'head') expect(res.headers.get('x-image-meta-name')).toBeNull();
      if (route === 'detail' && exp.status === 200) {
        const ids = (JSON.parse(text) as { images: { id: string }[] }).images.map((i) => i.id);
        expect(ids.includes(img.id)).toBe(exp.listed);
      }
      if (route === 'members-list' && exp.status === 200) {
        const { members } = JSON.parse(text) as { members: { member_id: string }[] };
        expect(members.map((m) => m.member_id).sort()).toEqual(exp.members);
      }
      if (route === 'member-add' && exp.status === 204) {
        const m = await call(`${h.url}/v2/images/${img.id}/members/p-new`, 'GET', 'owner');
        expect(m.status).toBe(200);
      }
      if (route === 'put' && exp.status === 200) {
        expect((JSON.parse(text) as { image: { properties: Record<string, string> } }).image.properties.cell).toBe('touched');
      }
      if (route === 'put' && exp.status !== 200 && exp.status !== 401) {
        const after = (await (await call(`${h.url}/v2/images/${img.id}`, 'GET', 'admin')).json()) as Record<string, unknown>;
        expect(after.cell).toBeUndefined();
      }
      await assertLists(h.url, img, caller, deletes(route, exp));
      if (deletes(route, exp)) expect((await call(`${h.url}/v1/images/${img.id}`, 'HEAD', 'owner')).status).toBe(404);
    },
  );

  it.each(['owner', 'member', 'other', 'reader', 'admin'] as const)(
    'v1 full detail list | %s sees no image it must not (all pages)',
    async (caller) => {
      const ids = new Set(await detailAll(h.url, caller));
      for (const img of shared.values()) {
        expect({ kind: kindLabel(img.kind), listed: ids.has(img.id) }).toEqual({ kind: kindLabel(img.kind), listed: v1Listed(img.kind, caller) });
      }
    },
  );
});
