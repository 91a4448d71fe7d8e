import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { BlobStore, BlobWriter } from '../../src/store/store.js';

/** Keys that must never reach the storage: traversal, separators, NULs, non-UUIDs. */
export const INVALID_KEYS = [
  '',
  '..',
  '../etc/passwd',
  '../../../../etc/passwd',
  '/etc/passwd',
  'not-a-uuid',
  `../${randomUUID()}`,
  `${randomUUID()}/..`,
  `${randomUUID()}\0`,
  `${randomUUID()}.part`,
  ` ${randomUUID()}`,
  '..\\..\\windows\\system32',
  '00000000-0000-0000-0000-00000000000/',
  '0000000g-0000-0000-0000-000000000000',
];

const live = (): AbortSignal => new AbortController().signal;
const aborted = (): AbortSignal => AbortSignal.abort(new Error('test abort'));

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Writes `data` through a writer and leaves it finished but not committed. */
export async function fill(writer: BlobWriter, data: Buffer): Promise<void> {
  await pipeline(Readable.from(data.length > 0 ? [data] : []), writer.writable);
}

export async function put(store: BlobStore, key: string, data: Buffer): Promise<void> {
  const writer = await store.begin(key, live());
  await fill(writer, data);
  await writer.commit(live());
}

async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of keys) out.push(k);
  return out.sort();
}

/** The behaviour every BlobStore implementation must show. */
export function describeBlobStoreSuite(
  name: string,
  makeStore: () => Promise<{ store: BlobStore; cleanup: () => Promise<void> }>,
): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
    });
    afterEach(async () => {
      await cleanup();
    });

    it('describes itself', () => {
      expect(typeof store.id).toBe('string');
      expect(store.id.length).toBeGreaterThan(0);
      expect(typeof store.type).toBe('string');
      expect(typeof store.properties).toBe('object');
    });

    it('round-trips bytes after commit, with stat giving the size', async () => {
      const key = randomUUID();
      const data = randomBytes(3 * 1024 * 1024 + 17);
      await put(store, key, data);
      expect(await store.stat(key, live())).toBe(data.length);
      expect((await readAll(await store.open(key, null, live()))).equals(data)).toBe(true);
    });

    it('stores an empty blob', async () => {
      const key = randomUUID();
      await put(store, key, Buffer.alloc(0));
      expect(await store.stat(key, live())).toBe(0);
      expect((await readAll(await store.open(key, null, live()))).length).toBe(0);
    });

    it('serves inclusive ranges, including across read-chunk boundaries and past the end', async () => {
      const key = randomUUID();
      const data = randomBytes(2 * 1024 * 1024 + 5);
      await put(store, key, data);
      const read = async (start: number, end: number) => readAll(await store.open(key, { start, end }, live()));
      expect((await read(2, 5)).equals(data.subarray(2, 6))).toBe(true);
      expect((await read(7, 7)).equals(data.subarray(7, 8))).toBe(true);
      const mib = 1024 * 1024;
      expect((await read(mib - 10, mib + 10)).equals(data.subarray(mib - 10, mib + 11))).toBe(true);
      expect((await read(data.length - 3, data.length + 100)).equals(data.subarray(data.length - 3))).toBe(true);
    });

    it('shows nothing under the key before commit', async () => {
      const key = randomUUID();
      const writer = await store.begin(key, live());
      await fill(writer, Buffer.from('not yet'));
      expect(await store.stat(key, live())).toBeNull();
      await expect(store.open(key, null, live())).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await collect(store.keys(live()))).not.toContain(key);
      await writer.commit(live());
      expect(await store.stat(key, live())).toBe(7);
      expect(await collect(store.keys(live()))).toContain(key);
    });

    it('replaces a blob when the same key is committed again', async () => {
      const key = randomUUID();
      await put(store, key, Buffer.from('first version'));
      await put(store, key, Buffer.from('second'));
      expect((await readAll(await store.open(key, null, live()))).toString()).toBe('second');
    });

    it('abort discards the write, is idempotent, and leaves no key', async () => {
      const key = randomUUID();
      const writer = await store.begin(key, live());
      await fill(writer, randomBytes(1000));
      await writer.abort();
      await writer.abort();
      await Promise.all([writer.abort(), writer.abort()]);
      expect(await store.stat(key, live())).toBeNull();
      expect(await collect(store.keys(live()))).not.toContain(key);
      await expect(writer.commit(live())).rejects.toThrow();
    });

    it('abort works in the middle of writing', async () => {
      const key = randomUUID();
      const writer = await store.begin(key, live());
      writer.writable.write(randomBytes(100_000));
      await writer.abort();
      expect(writer.writable.destroyed).toBe(true);
      expect(await store.stat(key, live())).toBeNull();
    });

    it('abort after a successful commit keeps the blob', async () => {
      const key = randomUUID();
      const writer = await store.begin(key, live());
      await fill(writer, Buffer.from('kept'));
      await writer.commit(live());
      await writer.abort();
      expect(await store.stat(key, live())).toBe(4);
    });

    it('commit with an aborted signal fails and abort then cleans up', async () => {
      const key = randomUUID();
      const writer = await store.begin(key, live());
      await fill(writer, Buffer.from('data'));
      await expect(writer.commit(aborted())).rejects.toThrow('test abort');
      await writer.abort();
      expect(await store.stat(key, live())).toBeNull();
      expect(await store.cleanTemp(live())).toBe(0);
    });

    it('remove deletes a blob, and removing an absent one is fine', async () => {
      const key = randomUUID();
      await put(store, key, Buffer.from('x'));
      await store.remove(key, live());
      expect(await store.stat(key, live())).toBeNull();
      await expect(store.open(key, null, live())).rejects.toMatchObject({ code: 'ENOENT' });
      await store.remove(key, live());
      await store.remove(randomUUID(), live());
    });

    it('lists committed keys, lower-cased, and treats keys case-insensitively', async () => {
      const a = randomUUID();
      const b = randomUUID().toUpperCase();
      await put(store, a, Buffer.from('a'));
      await put(store, b, Buffer.from('bb'));
      expect(await collect(store.keys(live()))).toEqual([a, b.toLowerCase()].sort());
      expect(await store.stat(b.toLowerCase(), live())).toBe(2);
      expect(await store.stat(a.toUpperCase(), live())).toBe(1);
    });

    it('cleanTemp removes uncommitted writes, after which their commit fails', async () => {
      expect(await store.cleanTemp(live())).toBe(0);
      const key = randomUUID();
      const writer = await store.begin(key, live());
      await fill(writer, Buffer.from('left behind by a crash'));
      expect(await store.cleanTemp(live())).toBeGreaterThanOrEqual(1);
      await expect(writer.commit(live())).rejects.toThrow();
      await writer.abort();
      expect(await store.stat(key, live())).toBeNull();
      expect(await store.cleanTemp(live())).toBe(0);
    });

    it('rejects invalid keys, including path traversal, in every method', async () => {
      for (const key of INVALID_KEYS) {
        await expect(store.begin(key, live()), key).rejects.toThrow('invalid blob key');
        await expect(store.open(key, null, live()), key).rejects.toThrow('invalid blob key');
        await expect(store.stat(key, live()), key).rejects.toThrow('invalid blob key');
        await expect(store.remove(key, live()), key).rejects.toThrow('invalid blob key');
      }
      expect(await collect(store.keys(live()))).toEqual([]);
    });

    it('honours an already aborted signal in every method', async () => {
      const key = randomUUID();
      await put(store, key, Buffer.from('x'));
      await expect(store.begin(randomUUID(), aborted())).rejects.toThrow('test abort');
      await expect(store.open(key, null, aborted())).rejects.toThrow('test abort');
      await expect(store.stat(key, aborted())).rejects.toThrow('test abort');
      await expect(store.remove(key, aborted())).rejects.toThrow('test abort');
      await expect(collect(store.keys(aborted()))).rejects.toThrow('test abort');
      await expect(store.cleanTemp(aborted())).rejects.toThrow('test abort');
      expect(await store.stat(key, live())).toBe(1);
      expect(await store.cleanTemp(live())).toBe(0);
    });

    it('an abort during a download destroys the stream with an error', async () => {
      const key = randomUUID();
      await put(store, key, randomBytes(4 * 1024 * 1024));
      const ac = new AbortController();
      const stream = await store.open(key, null, ac.signal);
      const read = readAll(stream);
      ac.abort(new Error('client went away'));
      await expect(read).rejects.toThrow();
      expect(stream.destroyed).toBe(true);
    });
  });
}
