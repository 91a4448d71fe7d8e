/**
 * 16-way concurrency against a REAL gateway process: creates, patches, tags, uploads, downloads and
 * deletes on shared and distinct images. No response may be ≥500, no update may be lost, and the
 * final state must be consistent (nothing stuck in saving, deleted images gone, store clean).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, startGateway, type Gateway, removeTempDirs } from '../interop/gateway.js';
import { ADMIN, ControlledUpload, as, md5, request, waitFor, walkDataDir, type HttpResponse } from '../interop/http.js';

const N = 16;
let gw: Gateway;
const seen: { what: string; status: number; text: string }[] = [];
const V21 = { 'Content-Type': 'application/openstack-images-v2.1-json-patch' };
const OCTET = { 'Content-Type': 'application/octet-stream' };

async function api(method: string, p: string, body?: object | Buffer, headers: Record<string, string> = ADMIN) {
  const r = await request(gw.url, method, p, { headers: { ...ADMIN, ...headers }, ...(body ? { body } : {}) });
  seen.push({ what: `${method} ${p}`, status: r.status, text: r.text.slice(0, 300) });
  return r;
}
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const count = (rs: HttpResponse[], status: number) => rs.filter((r) => r.status === status).length;

async function create(name: string, extra: object = {}): Promise<string> {
  const r = await api('POST', '/v2/images', { name, disk_format: 'raw', container_format: 'bare', ...extra });
  expect(r.status, r.text).toBe(201);
  return r.json().id;
}
const get = async (id: string) => (await api('GET', `/v2/images/${id}`)).json();

beforeAll(async () => {
  await ensureBuilt();
  gw = await startGateway();
}, 300_000);

afterAll(async () => {
  await gw?.stop();
  removeTempDirs();
});

describe('16-way concurrency (real process)', () => {
  it('concurrent creates: all 201, distinct ids, all listed', async () => {
    const rs = await Promise.all(range(N).map((i) => api('POST', '/v2/images', { name: `cc-${i}`, tags: ['cc'], idx: String(i) })));
    expect(rs.map((r) => r.status)).toEqual(range(N).map(() => 201));
    const ids = rs.map((r) => r.json().id);
    expect(new Set(ids).size).toBe(N);
    const listed = (await api('GET', '/v2/images?tag=cc&limit=100')).json().images;
    expect(listed.map((i: { id: string }) => i.id).sort()).toEqual([...ids].sort());
    for (const r of rs) expect(listed.find((i: { id: string }) => i.id === r.json().id).idx).toBe(r.json().idx);
  });

  it('concurrent PATCHes adding distinct properties to one image: no lost update', async () => {
    const id = await create('patch-target');
    const rs = await Promise.all(
      range(N).map((i) => api('PATCH', `/v2/images/${id}`, [{ op: 'add', path: `/p${i}`, value: `v${i}` }], V21)),
    );
    expect(rs.map((r) => r.status)).toEqual(range(N).map(() => 200));
    rs.forEach((r, i) => expect(r.json()[`p${i}`]).toBe(`v${i}`));
    const img = await get(id);
    for (const i of range(N)) expect(img[`p${i}`], `p${i}`).toBe(`v${i}`);

    // Concurrent replaces of one property: all succeed, the final value is one of them.
    const rr = await Promise.all(
      range(N).map((i) => api('PATCH', `/v2/images/${id}`, [{ op: 'replace', path: '/p0', value: `w${i}` }], V21)),
    );
    expect(rr.map((r) => r.status)).toEqual(range(N).map(() => 200));
    expect(range(N).map((i) => `w${i}`)).toContain((await get(id)).p0);
    // Concurrent removes of distinct properties: all gone, the rest untouched.
    const rm = await Promise.all(range(8).map((i) => api('PATCH', `/v2/images/${id}`, [{ op: 'remove', path: `/p${i + 8}` }], V21)));
    expect(rm.map((r) => r.status)).toEqual(range(8).map(() => 200));
    const after = await get(id);
    for (const i of range(8)) expect(after).not.toHaveProperty(`p${i + 8}`);
    for (const i of range(7)) expect(after[`p${i + 1}`]).toBe(`v${i + 1}`);
  });

  it('concurrent tag PUTs on one image: every tag present', async () => {
    const id = await create('tag-target');
    const rs = await Promise.all(range(N).map((i) => api('PUT', `/v2/images/${id}/tags/t${i}`)));
    expect(rs.map((r) => r.status)).toEqual(range(N).map(() => 204));
    expect([...(await get(id)).tags].sort()).toEqual(range(N).map((i) => `t${i}`).sort());
  });

  it('concurrent uploads to one queued image: exactly one 204, the others 409', async () => {
    const id = await create('upload-target');
    const bodies = range(N).map(() => randomBytes(64 * 1024));
    const rs = await Promise.all(bodies.map((b) => api('PUT', `/v2/images/${id}/file`, b, OCTET)));
    expect(count(rs, 204), rs.map((r) => r.status).join(',')).toBe(1);
    expect(count(rs, 409)).toBe(N - 1);
    const winner = bodies[rs.findIndex((r) => r.status === 204)]!;
    expect(await get(id)).toMatchObject({ status: 'active', size: winner.length, checksum: md5(winner) });
    expect(md5((await api('GET', `/v2/images/${id}/file`)).body)).toBe(md5(winner));
  });

  it('concurrent deletes of one image: exactly one 204, the others 404', async () => {
    const id = await create('delete-target');
    expect((await api('PUT', `/v2/images/${id}/file`, randomBytes(256 * 1024), OCTET)).status).toBe(204);
    const rs = await Promise.all(range(N).map(() => api('DELETE', `/v2/images/${id}`)));
    expect(count(rs, 204), rs.map((r) => r.status).join(',')).toBe(1);
    expect(count(rs, 404)).toBe(N - 1);
    expect((await api('GET', `/v2/images/${id}`)).status).toBe(404);
    expect(walkDataDir(gw.dataDir).blobs.filter((b) => b.id === id)).toEqual([]);
  });

  it('delete while an upload is streaming: upload answers 410, nothing is left behind', async () => {
    const id = await create('delete-during-upload');
    const u = new ControlledUpload(gw.url, id, 20 * 1024 * 1024, ADMIN);
    await u.sendUntil(5 * 1024 * 1024);
    expect(await waitFor(async () => (await get(id)).status === 'saving')).toBe(true);
    expect((await api('DELETE', `/v2/images/${id}`)).status).toBe(204);
    await u.finish().catch(() => undefined); // the server may stop reading; its answer is what counts
    const res = await u.response;
    expect(res instanceof Error ? res.message : res.status).toBe(410);
    expect((await api('GET', `/v2/images/${id}`)).status).toBe(404);
    const clean = await waitFor(async () => {
      const l = walkDataDir(gw.dataDir);
      return l.temp.length === 0 && !l.blobs.some((b) => b.id === id);
    });
    expect(clean, JSON.stringify(walkDataDir(gw.dataDir))).toBe(true);
  });

  it('concurrent member adds: distinct projects all 200; one project added 16 times: one 200, 15 × 409', async () => {
    const id = await create('members-target');
    const rs = await Promise.all(range(N).map((i) => api('POST', `/v2/images/${id}/members`, { member: `mp${i}` })));
    expect(rs.map((r) => r.status)).toEqual(range(N).map(() => 200));
    const listed = (await api('GET', `/v2/images/${id}/members`)).json().members;
    expect(listed.map((m: { member_id: string }) => m.member_id).sort()).toEqual(range(N).map((i) => `mp${i}`).sort());
    const dup = await Promise.all(range(N).map(() => api('POST', `/v2/images/${id}/members`, { member: 'dup' })));
    expect(count(dup, 200), dup.map((r) => r.status).join(',')).toBe(1);
    expect(count(dup, 409)).toBe(N - 1);
    // Each member accepts concurrently, as itself.
    const acc = await Promise.all(
      range(N).map((i) => api('PUT', `/v2/images/${id}/members/mp${i}`, { status: 'accepted' }, as(`mp${i}`))),
    );
    expect(acc.map((r) => r.status)).toEqual(range(N).map(() => 200));
    const after = (await api('GET', `/v2/images/${id}/members`)).json().members;
    expect(after.filter((m: { status: string }) => m.status === 'accepted')).toHaveLength(N);
  });

  it('PATCH, tag and upload racing a DELETE of the same image: no 5xx, the image ends up gone', async () => {
    for (let round = 0; round < 4; round++) {
      const id = await create(`race-${round}`);
      const ops = await Promise.all([
        ...range(5).map((i) => api('PATCH', `/v2/images/${id}`, [{ op: 'add', path: `/r${i}`, value: 'x' }], V21)),
        ...range(5).map((i) => api('PUT', `/v2/images/${id}/tags/r${i}`)),
        api('PUT', `/v2/images/${id}/file`, randomBytes(512 * 1024), OCTET),
        api('DELETE', `/v2/images/${id}`),
        ...range(4).map(() => api('GET', `/v2/images/${id}`)),
      ]);
      for (const r of ops) expect([200, 204, 404, 409, 410], `${r.status} ${r.text}`).toContain(r.status);
      expect(ops[11]?.status).toBe(204); // the DELETE
      expect((await api('GET', `/v2/images/${id}`)).status).toBe(404);
      expect(await waitFor(async () => !walkDataDir(gw.dataDir).blobs.some((b) => b.id === id))).toBe(true);
    }
  });

  it('mixed workload on shared and distinct images: no 5xx, consistent final state', async () => {
    const shared = await Promise.all(range(4).map((i) => create(`shared-${i}`, { tags: ['mix'] })));
    const kept = new Map<string, string>(); // id -> md5 of its data
    const deleted: string[] = [];
    await Promise.all(
      range(N).map(async (w) => {
        for (let round = 0; round < 4; round++) {
          const id = await create(`mix-${w}-${round}`, { tags: ['mix'], worker: String(w) });
          const data = randomBytes(128 * 1024 + w);
          const steps = await Promise.all([
            api('PATCH', `/v2/images/${id}`, [{ op: 'add', path: '/round', value: String(round) }], V21),
            api('PUT', `/v2/images/${id}/file`, data, OCTET),
            api('PUT', `/v2/images/${id}/tags/w${w}`),
            api('PATCH', `/v2/images/${shared[round]}`, [{ op: 'add', path: `/w${w}`, value: String(round) }], V21),
            api('PUT', `/v2/images/${shared[(round + 1) % 4]}/tags/w${w}`),
            api('GET', '/v2/images?tag=mix&limit=5'),
            api('GET', `/v2/images/${shared[w % 4]}`, undefined, as('someone-else')),
          ]);
          // (the last: a project that is no member cannot see the shared images → 404)
          expect(steps.map((r) => r.status)).toEqual([200, 204, 204, 200, 204, 200, 404]);
          const dl = await api('GET', `/v2/images/${id}/file`);
          expect(dl.status).toBe(200);
          expect(md5(dl.body)).toBe(md5(data));
          if (round % 2 === 1) {
            expect((await api('DELETE', `/v2/images/${id}`)).status).toBe(204);
            deleted.push(id);
          } else kept.set(id, md5(data));
        }
      }),
    );
    const all = (await api('GET', '/v2/images?visibility=all&limit=1000')).json().images as Record<string, unknown>[];
    expect(all.filter((i) => !['queued', 'active'].includes(String(i.status)))).toEqual([]);
    const listedIds = new Set(all.map((i) => String(i.id)));
    for (const id of deleted) {
      expect(listedIds.has(id), `deleted ${id} still listed`).toBe(false);
      expect((await api('GET', `/v2/images/${id}`)).status).toBe(404);
    }
    for (const [id, sum] of kept) {
      const img = all.find((i) => i.id === id)!;
      expect(img, id).toMatchObject({ status: 'active', checksum: sum });
      expect(img.round).toBeDefined();
    }
    for (const [r, id] of shared.entries()) {
      const img = await get(id);
      for (const w of range(N)) expect(img[`w${w}`], `shared-${r} w${w}`).toBe(String(r));
      expect([...img.tags].sort()).toEqual(['mix', ...range(N).map((w) => `w${w}`)].sort());
    }
    const listing = walkDataDir(gw.dataDir);
    expect(listing.temp).toEqual([]);
    const activeIds = new Set(all.filter((i) => i.status === 'active').map((i) => String(i.id)));
    expect(listing.blobs.filter((b) => !activeIds.has(b.id))).toEqual([]);
    for (const id of kept.keys()) expect(listing.blobs.some((b) => b.id === id), `blob of ${id}`).toBe(true);
  }, 240_000);

  it('no response anywhere in this file had status >= 500', () => {
    expect(seen.length).toBeGreaterThan(150);
    expect(seen.filter((s) => s.status >= 500)).toEqual([]);
  });
});
