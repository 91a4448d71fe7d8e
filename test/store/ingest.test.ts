import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { FileStore } from '../../src/store/file-store.js';
import { HashPool } from '../../src/store/hash-pool.js';
import { ingest, ingestBufferBound } from '../../src/store/ingest.js';
import type { BlobWriter } from '../../src/store/store.js';
import { readAll } from './store-suite.js';

const live = (): AbortSignal => new AbortController().signal;
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer): string => createHash('sha512').update(b).digest('hex');

class TooLarge extends Error {
  constructor(readonly seen: number) {
    super(`too large: ${seen}`);
  }
}
const tooLarge = (n: number): Error => new TooLarge(n);

/** `data` cut into chunks of the given sizes, cycling through them. */
function chunked(data: Buffer, sizes: number[]): Readable {
  const parts: Buffer[] = [];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = sizes[i % sizes.length] as number;
    parts.push(data.subarray(off, off + n));
    off += n;
  }
  return Readable.from(parts);
}

/** An endless source of 64 KiB chunks, one every few ms; `produced` counts what it emitted. */
function trickle(): Readable & { produced: number } {
  const s = new Readable({
    read() {
      setTimeout(() => {
        s.produced += 65536;
        this.push(randomBytes(65536));
      }, 2);
    },
  }) as Readable & { produced: number };
  s.produced = 0;
  return s;
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

describe('ingest', () => {
  let root: string;
  let store: FileStore;
  let hashers: HashPool;
  const workers: Worker[] = [];

  beforeAll(() => {
    hashers = new HashPool({ size: 2, onWorker: (w) => workers.push(w) });
  });
  afterAll(async () => {
    await hashers.close();
  });
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'ingest-'));
    store = new FileStore({ id: 'local', root });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const tmpFiles = async (): Promise<string[]> => readdir(path.join(root, '.tmp'));
  const opts = (extra: Partial<Parameters<typeof ingest>[2]> = {}) => ({
    maxBytes: 64 * 1024 * 1024,
    tooLarge,
    signal: live(),
    hashers,
    ...extra,
  });

  const cases: Array<[string, number, number[]]> = [
    ['0 bytes', 0, [1]],
    ['1 byte', 1, [1]],
    ['5 MiB in 64 KiB chunks', 5 * 1024 * 1024, [65536]],
    ['odd chunk sizes', 3 * 1024 * 1024 + 7, [1, 7, 4093, 65537, 1024 * 1024 + 3, 13]],
    ['one chunk larger than the hash ring', 9 * 1024 * 1024 + 1, [9 * 1024 * 1024 + 1]],
  ];
  for (const [name, size, sizes] of cases) {
    it(`hashes and stores exactly the bytes: ${name}`, async () => {
      const data = randomBytes(size);
      const key = randomUUID();
      const writer = await store.begin(key, live());
      const result = await ingest(chunked(data, sizes), writer, opts());
      expect(result).toEqual({ size, md5: md5(data), sha512: sha512(data) });
      expect(writer.writable.writableFinished).toBe(true);
      await writer.commit(live());
      expect((await readAll(await store.open(key, null, live()))).equals(data)).toBe(true);
    });
  }

  it('accepts exactly maxBytes', async () => {
    const data = randomBytes(10_000);
    const writer = await store.begin(randomUUID(), live());
    const result = await ingest(chunked(data, [4096]), writer, opts({ maxBytes: 10_000 }));
    expect(result.size).toBe(10_000);
    await writer.abort();
  });

  it('fails with tooLarge as soon as maxBytes is exceeded, writing nothing past it', async () => {
    const source = chunked(randomBytes(100_000), [4096]);
    const writer = await store.begin(randomUUID(), live());
    const err = await ingest(source, writer, opts({ maxBytes: 10_000 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooLarge);
    expect((err as TooLarge).seen).toBe(12_288);
    expect(source.destroyed).toBe(true);
    expect(writer.writable.destroyed).toBe(true);
    const [temp] = await tmpFiles();
    expect((await stat(path.join(root, '.tmp', temp as string))).size).toBeLessThanOrEqual(10_000);
    await writer.abort();
    expect(await tmpFiles()).toEqual([]);
  });

  it('rejects promptly with the signal reason when aborted mid-stream', async () => {
    const key = randomUUID();
    const source = trickle();
    const writer = await store.begin(key, live());
    const ac = new AbortController();
    const running = ingest(source, writer, opts({ signal: ac.signal }));
    await until(() => source.produced >= 10 * 65536);
    const reason = new Error('client went away');
    const t = performance.now();
    ac.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(performance.now() - t).toBeLessThan(1000);
    expect(source.destroyed).toBe(true);
    await writer.abort();
    expect(await tmpFiles()).toEqual([]);
    expect(await store.stat(key, live())).toBeNull();
  });

  it('rejects a source that yields strings or objects', async () => {
    for (const chunk of ['text', { not: 'bytes' }]) {
      const writer = await store.begin(randomUUID(), live());
      await expect(ingest(Readable.from([Buffer.from('ok'), chunk]), writer, opts())).rejects.toThrow(TypeError);
      expect(writer.writable.destroyed).toBe(true);
      await writer.abort();
    }
  });

  it('holds a bounded number of bytes however slow the writable is (200 MiB)', async () => {
    const chunk = 65536;
    const total = 200 * 1024 * 1024;
    const patterns = [randomBytes(chunk), randomBytes(chunk), randomBytes(chunk)];
    const refMd5 = createHash('md5');
    const refSha = createHash('sha512');
    let produced = 0;
    let consumed = 0;
    let maxHeld = 0;
    const source = new Readable({
      highWaterMark: chunk,
      read() {
        if (produced >= total) return void this.push(null);
        const c = Buffer.from(patterns[(produced / chunk) % 3] as Buffer);
        refMd5.update(c);
        refSha.update(c);
        produced += chunk;
        maxHeld = Math.max(maxHeld, produced - consumed);
        this.push(c);
      },
    });
    const slow = new Writable({
      highWaterMark: 256 * 1024,
      write(c: Buffer, _enc, cb) {
        consumed += c.length;
        setTimeout(cb, 1);
      },
    });
    const writer: BlobWriter = { writable: slow, commit: () => Promise.resolve(), abort: () => Promise.resolve() };
    const result = await ingest(source, writer, opts({ maxBytes: total }));
    expect(result).toEqual({ size: total, md5: refMd5.digest('hex'), sha512: refSha.digest('hex') });
    expect(consumed).toBe(total);
    expect(maxHeld).toBeLessThanOrEqual(ingestBufferBound(source, slow, chunk));
    expect(ingestBufferBound(source, slow, chunk)).toBeLessThan(2 * 1024 * 1024);
  });

  it('rejects when the hash worker crashes, and the pool recovers', async () => {
    const source = trickle();
    const writer = await store.begin(randomUUID(), live());
    const before = workers.length;
    const running = ingest(source, writer, opts());
    await until(() => source.produced >= 5 * 65536);
    // The job's worker is the one that is ref()'d and busy; terminate every worker to be sure.
    await Promise.all(workers.map((w) => w.terminate()));
    await expect(running).rejects.toThrow(/sha512 worker exited/);
    await writer.abort();
    expect(await tmpFiles()).toEqual([]);

    const data = randomBytes(100_000);
    const again = await store.begin(randomUUID(), live());
    expect((await ingest(chunked(data, [9999]), again, opts())).sha512).toBe(sha512(data));
    await again.abort();
    expect(workers.length).toBeGreaterThan(before);
  });

  it('rejects when the hash worker throws', async () => {
    const source = trickle();
    const writer = await store.begin(randomUUID(), live());
    const running = ingest(source, writer, opts());
    await until(() => source.produced >= 3 * 65536);
    for (const w of workers) w.postMessage('boom');
    await expect(running).rejects.toThrow(/unknown message boom|sha512 worker exited/);
    await writer.abort();
  });

  it('does not wait for a busy hash worker: it hashes inline and finishes', async () => {
    const pool = new HashPool({ size: 1 });
    try {
      const holder = await pool.start(live());
      const key = randomUUID();
      const writer = await store.begin(key, live());
      const data = randomBytes(100_000);
      const result = await ingest(chunked(data, [7000]), writer, { ...opts(), hashers: pool });
      expect(result).toEqual({
        size: data.length,
        md5: createHash('md5').update(data).digest('hex'),
        sha512: createHash('sha512').update(data).digest('hex'),
      });
      await writer.commit(live());
      holder.cancel();
    } finally {
      await pool.close();
    }
  });
});
