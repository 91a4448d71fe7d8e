/** MetadataCache unit tests: coalescing, tenant safety, invalidation racing a fetch, bounds. */
import { describe, expect, it } from 'vitest';
import { makeContext, type RequestContext } from '../../src/core/context.js';
import type { Image, Visibility } from '../../src/core/image.js';
import { MetadataCache } from '../../src/upstream/metadata-cache.js';

const user = (projectId: string): RequestContext => makeContext({ projectId, roles: ['member'], requestId: 'req-1' });
const admin = makeContext({ projectId: 'adm', roles: ['admin'], requestId: 'req-2' });

function image(id: string, owner: string, visibility: Visibility, status: Image['status'] = 'active'): Image {
  return {
    id, name: id, disk_format: 'raw', container_format: 'bare', visibility, size: 1, virtual_size: 1, status,
    checksum: null, protected: false, min_ram: 0, min_disk: 0, owner, os_hidden: false, os_hash_algo: null,
    os_hash_value: null, created_at: 0, updated_at: 0, deleted: false, deleted_at: null, properties: {}, tags: [],
    locations: [], stores: [],
  };
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('MetadataCache', () => {
  it('does not keep an image an import is filling (queued, holding the import lock), and keeps it once settled', async () => {
    const cache = new MetadataCache({ max: 10, ttlMs: 60_000 });
    let calls = 0;
    let current: Image = { ...image('i9', 'a', 'private', 'queued'), properties: { os_glance_import_task: 'task-1' } };
    const fetch = async (): Promise<Image> => {
      calls++;
      return current;
    };
    await cache.get('i9', user('a'), fetch);
    await cache.get('i9', user('a'), fetch);
    expect(calls).toBe(2);
    current = { ...image('i9', 'a', 'private', 'queued'), properties: { os_glance_import_task: 'task-1', os_glance_failed_import: 'default' } };
    await cache.get('i9', user('a'), fetch);
    await cache.get('i9', user('a'), fetch);
    expect(calls).toBe(3);
  });

  it('coalesces N concurrent identical misses into one fetch', async () => {
    const cache = new MetadataCache({ max: 10, ttlMs: 60_000 });
    const gate = deferred<Image>();
    let calls = 0;
    const fetch = (): Promise<Image> => {
      calls++;
      return gate.promise;
    };
    const all = Array.from({ length: 20 }, () => cache.get('i1', user('a'), fetch));
    gate.resolve(image('i1', 'a', 'private'));
    const results = await Promise.all(all);
    expect(calls).toBe(1);
    expect(new Set(results).size).toBe(1);
    // And the next read is a hit.
    await cache.get('i1', user('a'), fetch);
    expect(calls).toBe(1);
  });

  it('coalesces even with caching off, and not across callers', async () => {
    const cache = new MetadataCache({ max: 0, ttlMs: 0 });
    const gate = deferred<Image>();
    let calls = 0;
    const fetch = (): Promise<Image> => {
      calls++;
      return gate.promise;
    };
    const a = [cache.get('i', user('a'), fetch), cache.get('i', user('a'), fetch)];
    const b = cache.get('i', user('b'), fetch);
    gate.resolve(image('i', 'a', 'public'));
    await Promise.all([...a, b]);
    expect(calls).toBe(2);
    await cache.get('i', user('a'), fetch);
    expect(calls).toBe(3);
  });

  it('a failed fetch is not cached and the next caller retries', async () => {
    const cache = new MetadataCache({ max: 10, ttlMs: 60_000 });
    await expect(cache.get('x', user('a'), () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('x', user('a'), async () => image('x', 'a', 'private'))).toMatchObject({ id: 'x' });
  });

  it('serves a record only to callers who could see it', () => {
    const cache = new MetadataCache({ max: 10, ttlMs: 60_000 });
    cache.store(image('priv', 'a', 'private'), user('a'));
    cache.store(image('pub', 'a', 'public'), user('a'));
    cache.store(image('com', 'a', 'community'), user('a'));
    cache.store(image('sh', 'a', 'shared'), user('a'));
    expect(cache.peek('priv', user('a'))).toBeDefined();
    expect(cache.peek('priv', user('b'))).toBeUndefined();
    expect(cache.peek('priv', admin)).toBeDefined();
    expect(cache.peek('pub', user('b'))).toBeDefined();
    expect(cache.peek('com', user('b'))).toBeDefined();
    // Membership is not in the record: only projects the upstream showed it to.
    expect(cache.peek('sh', user('b'))).toBeUndefined();
    cache.store(image('sh', 'a', 'shared'), user('b'));
    expect(cache.peek('sh', user('b'))).toBeDefined();
    expect(cache.peek('sh', user('c'))).toBeUndefined();
    // What an admin was shown grants nothing to others in the admin's project.
    cache.store(image('sh2', 'a', 'shared'), admin);
    expect(cache.peek('sh2', user('adm'))).toBeUndefined();
    // Anonymous callers only get public/community records.
    const anon = makeContext({ requestId: 'r', readOnly: true });
    expect(cache.peek('priv', anon)).toBeUndefined();
    expect(cache.peek('pub', anon)).toBeDefined();
  });

  it('a fetch that raced an invalidation does not store its older result', async () => {
    const cache = new MetadataCache({ max: 10, ttlMs: 60_000 });
    const gate = deferred<Image>();
    const pending = cache.get('r', user('a'), () => gate.promise);
    cache.invalidate('r');
    gate.resolve(image('r', 'a', 'private'));
    await pending;
    expect(cache.peek('r', user('a'))).toBeUndefined();
  });

  it('does not cache images in transit, and is bounded by count', () => {
    const cache = new MetadataCache({ max: 3, ttlMs: 60_000 });
    cache.store(image('t', 'a', 'public', 'importing'), user('a'));
    expect(cache.peek('t', user('a'))).toBeUndefined();
    for (const id of ['1', '2', '3', '4']) cache.store(image(id, 'a', 'public'), user('a'));
    expect(cache.size).toBe(3);
    expect(cache.peek('1', user('a'))).toBeUndefined();
  });
});
