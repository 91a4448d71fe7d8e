/**
 * The metadata cache of upstream mode over HTTP: hits after a miss (counted at the upstream),
 * invalidation by writes in both dialects, TTL expiry, and tenant safety (a record cached for one
 * project is never served to a project that could not see it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPair, type UpstreamPair } from './fixture.js';

const RAW = { disk_format: 'raw', container_format: 'bare' };
const as = (project: string): Record<string, string> => ({ 'x-project-id': project, 'x-roles': 'member' });

/** GET /v2/images/{id} requests that reached the upstream (the cache's misses). */
function upstreamShows(pair: UpstreamPair, id: string): number {
  return pair.seen.filter((r) => r === `GET /v2/images/${id}`).length;
}

async function create(pair: UpstreamPair, headers: Record<string, string>, body: Record<string, unknown>): Promise<string> {
  const r = await fetch(`${pair.front.url}/v2/images`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ ...RAW, ...body }),
  });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
}

const head = (pair: UpstreamPair, id: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${pair.front.url}/v1/images/${id}`, { method: 'HEAD', headers });

describe('metadata cache (default 30 s TTL)', () => {
  let pair: UpstreamPair;
  beforeAll(async () => {
    pair = await startPair();
  });
  afterAll(async () => {
    await pair.stop();
  });

  it('serves repeated v1 HEADs from one upstream call', async () => {
    const id = await create(pair, as('pa'), { name: 'hot' });
    for (let i = 0; i < 5; i++) {
      const r = await head(pair, id, as('pa'));
      expect(r.status).toBe(200);
      expect(r.headers.get('x-image-meta-name')).toBe('hot');
    }
    expect(upstreamShows(pair, id)).toBe(1);
  });

  it('a v2 PATCH through the proxy invalidates: the next HEAD shows the change at once', async () => {
    const id = await create(pair, as('pa'), { name: 'before' });
    expect((await head(pair, id, as('pa'))).headers.get('x-image-meta-name')).toBe('before');
    const patch = await fetch(`${pair.front.url}/v2/images/${id}`, {
      method: 'PATCH',
      headers: { ...as('pa'), 'content-type': 'application/openstack-images-v2.1-json-patch' },
      body: JSON.stringify([{ op: 'replace', path: '/name', value: 'after-v2' }]),
    });
    expect(patch.status).toBe(200);
    expect((await head(pair, id, as('pa'))).headers.get('x-image-meta-name')).toBe('after-v2');
  });

  it('v2 uploads, tags and deletes through the proxy invalidate too', async () => {
    const id = await create(pair, as('pa'), { name: 'data' });
    expect((await head(pair, id, as('pa'))).headers.get('x-image-meta-status')).toBe('queued');
    const put = await fetch(`${pair.front.url}/v2/images/${id}/file`, {
      method: 'PUT',
      headers: { ...as('pa'), 'content-type': 'application/octet-stream' },
      body: 'bytes',
    });
    expect(put.status).toBe(204);
    expect((await head(pair, id, as('pa'))).headers.get('x-image-meta-status')).toBe('active');
    expect((await fetch(`${pair.front.url}/v2/images/${id}`, { method: 'DELETE', headers: as('pa') })).status).toBe(204);
    expect((await head(pair, id, as('pa'))).status).toBe(404);
  });

  it('a v1 PUT invalidates: the next HEAD shows the change at once', async () => {
    const id = await create(pair, as('pa'), { name: 'v1-before' });
    expect((await head(pair, id, as('pa'))).headers.get('x-image-meta-name')).toBe('v1-before');
    const put = await fetch(`${pair.front.url}/v1/images/${id}`, { method: 'PUT', headers: { ...as('pa'), 'x-image-meta-name': 'v1-after' } });
    expect(put.status).toBe(200);
    expect((await head(pair, id, as('pa'))).headers.get('x-image-meta-name')).toBe('v1-after');
    const v2 = (await (await fetch(`${pair.front.url}/v2/images/${id}`, { headers: as('pa') })).json()) as { name: string };
    expect(v2.name).toBe('v1-after');
  });

  it('a private image cached for project A is 404 for project B (and B asks the upstream)', async () => {
    const id = await create(pair, as('owner-a'), { name: 'secret', visibility: 'private' });
    expect((await head(pair, id, as('owner-a'))).status).toBe(200);
    expect((await head(pair, id, as('owner-a'))).status).toBe(200);
    const before = upstreamShows(pair, id);
    expect(before).toBe(1);
    const b = await head(pair, id, as('project-b'));
    expect(b.status).toBe(404);
    expect(b.headers.get('x-image-meta-name')).toBeNull();
    const get = await fetch(`${pair.front.url}/v1/images/${id}`, { headers: as('project-b') });
    expect(get.status).toBe(404);
    expect(upstreamShows(pair, id)).toBe(before + 2);
  });

  it('a shared image is served from the cache only to projects the upstream showed it to', async () => {
    const id = await create(pair, as('sharer'), { name: 'shared', visibility: 'shared' });
    const add = await fetch(`${pair.front.url}/v2/images/${id}/members`, {
      method: 'POST',
      headers: { ...as('sharer'), 'content-type': 'application/json' },
      body: JSON.stringify({ member: 'friend' }),
    });
    expect(add.status).toBe(200);
    expect((await head(pair, id, as('friend'))).status).toBe(200);
    expect((await head(pair, id, as('stranger'))).status).toBe(404);
    // Removing the member (a write through the gateway) drops the cached grant at once.
    const del = await fetch(`${pair.front.url}/v2/images/${id}/members/friend`, { method: 'DELETE', headers: as('sharer') });
    expect(del.status).toBe(204);
    expect((await head(pair, id, as('friend'))).status).toBe(404);
  });
});

describe('metadata cache TTL', () => {
  let pair: UpstreamPair;
  beforeAll(async () => {
    pair = await startPair({ frontUpstream: { cacheTtlMs: 300 } });
  });
  afterAll(async () => {
    await pair.stop();
  });

  it('a change made behind the gateway shows up once the TTL has passed', async () => {
    const id = await create(pair, as('pt'), { name: 'original' });
    expect((await head(pair, id, as('pt'))).headers.get('x-image-meta-name')).toBe('original');
    // Changed directly at the upstream: the gateway cannot know until its entry expires.
    const patch = await fetch(`${pair.upstream.url}/v2/images/${id}`, {
      method: 'PATCH',
      headers: { ...as('pt'), 'content-type': 'application/openstack-images-v2.1-json-patch' },
      body: JSON.stringify([{ op: 'replace', path: '/name', value: 'changed' }]),
    });
    expect(patch.status).toBe(200);
    await new Promise((r) => setTimeout(r, 400));
    expect((await head(pair, id, as('pt'))).headers.get('x-image-meta-name')).toBe('changed');
    expect(upstreamShows(pair, id)).toBe(2);
  });
});
