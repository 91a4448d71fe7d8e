/** Gateway + image factory + leak check shared by the isolation matrix files. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { startHarness, type Harness } from '../gateway/harness.js';
import { TOKENS, memberStatus, tokenOf, v1Listed, v2ListedByDefault, v2ListedWithAll, type Caller, type ImageKind } from './rules.js';

export interface Img {
  id: string;
  name: string;
  kind: ImageKind;
}

export const DATA = 'isolation-bytes';

export async function startIsolationGateway(): Promise<Harness> {
  const tokensFile = join(await mkdtemp(join(tmpdir(), 'gg-iso-')), 'tokens.json');
  const file: Record<string, unknown> = {};
  for (const [caller, identity] of Object.entries(TOKENS)) file[tokenOf(caller as keyof typeof TOKENS)] = identity;
  await writeFile(tokensFile, JSON.stringify(file));
  return startHarness({ auth: { ...DEFAULT_CONFIG.auth, mode: 'static', tokensFile } });
}

export const authHeaders = (c: Caller): Record<string, string> => (c === 'anonymous' ? {} : { 'X-Auth-Token': tokenOf(c) });

async function call(url: string, method: string, caller: Caller, body?: unknown, extra: Record<string, string> = {}): Promise<Response> {
  const headers: Record<string, string> = { ...authHeaders(caller), ...extra };
  let payload: string | undefined;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] ??= 'application/json';
  }
  return fetch(url, { method, headers, body: payload });
}

async function must(res: Response, status: number, what: string): Promise<Response> {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${await res.text()}`);
  return res;
}

let seq = 0;

/** Creates an active image of the given kind owned by p-owner (public ones via admin), shared with p-member as needed. */
export async function makeImage(url: string, kind: ImageKind): Promise<Img> {
  const name = `iso-${process.pid}-${++seq}-${kind.vis}${kind.protected ? '-prot' : ''}`;
  const status = memberStatus(kind.vis);
  const visibility = status !== null ? 'shared' : kind.vis;
  const body = { name, visibility, protected: kind.protected, disk_format: 'raw', container_format: 'bare' };
  const creator: Caller = visibility === 'public' ? 'admin' : 'owner';
  const res = await must(await call(`${url}/v2/images`, 'POST', creator, visibility === 'public' ? { ...body, owner: 'p-owner' } : body), 201, `create ${name}`);
  const { id, owner } = (await res.json()) as { id: string; owner: string };
  expect(owner).toBe('p-owner');
  await must(await fetch(`${url}/v2/images/${id}/file`, { method: 'PUT', body: DATA, headers: { ...authHeaders('owner'), 'Content-Type': 'application/octet-stream' } }), 204, `upload ${name}`);
  if (status !== null) {
    await must(await call(`${url}/v2/images/${id}/members`, 'POST', 'owner', { member: 'p-member' }), 200, `share ${name}`);
    if (status !== 'pending') {
      await must(await call(`${url}/v2/images/${id}/members/p-member`, 'PUT', 'member', { status }), 200, `${status} ${name}`);
    }
  }
  return { id, name, kind };
}

export { call };

/** Image ids in the caller's v2 list for this query (paging not needed: the id filter makes it tiny). */
export async function v2ListIds(url: string, caller: Caller, query: string): Promise<{ status: number; ids: string[] }> {
  const res = await call(`${url}/v2/images?${query}`, 'GET', caller);
  if (res.status !== 200) return { status: res.status, ids: [] };
  const { images } = (await res.json()) as { images: { id: string }[] };
  return { status: 200, ids: images.map((i) => i.id) };
}

export async function v1DetailIds(url: string, caller: Caller, name: string): Promise<{ status: number; ids: string[] }> {
  const res = await call(`${url}/v1/images/detail?name=${encodeURIComponent(name)}`, 'GET', caller);
  if (res.status !== 200) return { status: res.status, ids: [] };
  const { images } = (await res.json()) as { images: { id: string }[] };
  return { status: 200, ids: images.map((i) => i.id) };
}

/**
 * Leak check run after every cell: the image appears in the caller's lists (v2 default, v2 all/all,
 * v1 detail) exactly when the rules say so — so an invisible image never shows up anywhere.
 */
export async function assertLists(url: string, img: Img, caller: Caller, gone: boolean): Promise<void> {
  if (caller === 'anonymous') {
    expect((await v2ListIds(url, caller, '')).status).toBe(401);
    expect((await v1DetailIds(url, caller, img.name)).status).toBe(401);
    return;
  }
  const k = img.kind;
  const dflt = await v2ListIds(url, caller, `id=${img.id}`);
  const all = await v2ListIds(url, caller, `id=${img.id}&visibility=all&member_status=all`);
  const v1 = await v1DetailIds(url, caller, img.name);
  expect([dflt.status, all.status, v1.status]).toEqual([200, 200, 200]);
  expect({
    v2Default: dflt.ids.includes(img.id),
    v2All: all.ids.includes(img.id),
    v1Detail: v1.ids.includes(img.id),
  }).toEqual({
    v2Default: !gone && v2ListedByDefault(k, caller),
    v2All: !gone && v2ListedWithAll(k, caller),
    v1Detail: !gone && v1Listed(k, caller),
  });
}

/** A refusal must not leak the image's name. */
export function assertNoNameLeak(text: string, img: Img, status: number): void {
  if (status >= 400) expect(text).not.toContain(img.name);
}
