import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { BlobNotFoundError, FileStore } from '../../src/store/file-store.js';
import { describeBlobStoreSuite, fill, put, readAll } from './store-suite.js';

const live = (): AbortSignal => new AbortController().signal;

describeBlobStoreSuite('FileStore', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'file-store-'));
  return {
    store: new FileStore({ id: 'local', root, description: 'test store' }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describe('FileStore specifics', () => {
  let root: string;
  let store: FileStore;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'file-store-'));
    store = new FileStore({ id: 'local', root: path.join(root, 'data') });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const data = (): string => path.join(root, 'data');
  const tmpFiles = async (): Promise<string[]> => readdir(path.join(data(), '.tmp')).catch(() => []);

  it('reports the Glance filesystem-store properties', () => {
    expect(store.type).toBe('file');
    expect(store.description).toBeUndefined();
    expect(store.properties).toMatchObject({ data_dir: data() });
  });

  it('writes to .tmp/<key>.<random>.part and commits to <root>/<key[0..2]>/<key>', async () => {
    const key = randomUUID().toUpperCase();
    const lower = key.toLowerCase();
    const writer = await store.begin(key, live());
    const temps = await tmpFiles();
    expect(temps).toHaveLength(1);
    expect(temps[0]).toMatch(new RegExp(`^${lower}\\.[0-9a-f]+\\.part$`));
    await fill(writer, Buffer.from('hello'));
    await writer.commit(live());
    expect((await stat(path.join(data(), lower.slice(0, 2), lower))).size).toBe(5);
    expect(await tmpFiles()).toEqual([]);
  });

  it('refuses to commit before the writable finished, and abort still cleans up', async () => {
    const key = randomUUID();
    const writer = await store.begin(key, live());
    writer.writable.write(Buffer.from('partial'));
    await expect(writer.commit(live())).rejects.toThrow('finished');
    await writer.abort();
    expect(await tmpFiles()).toEqual([]);
    expect(await store.stat(key, live())).toBeNull();
  });

  it('refuses to commit a writable that failed', async () => {
    const writer = await store.begin(randomUUID(), live());
    writer.writable.destroy(new Error('socket reset'));
    await expect(writer.commit(live())).rejects.toThrow('failed');
    await writer.abort();
    expect(await tmpFiles()).toEqual([]);
  });

  it('names the key, not the path, when a blob is missing', async () => {
    const key = randomUUID();
    const err = await store.open(key, null, live()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobNotFoundError);
    expect(err).toMatchObject({ code: 'ENOENT', message: `blob ${key} not found` });
  });

  it('rejects malformed ranges', async () => {
    const key = randomUUID();
    await put(store, key, Buffer.from('0123456789'));
    await expect(store.open(key, { start: 5, end: 4 }, live())).rejects.toThrow(RangeError);
    await expect(store.open(key, { start: -1, end: 4 }, live())).rejects.toThrow(RangeError);
    await expect(store.open(key, { start: 0.5, end: 4 }, live())).rejects.toThrow(RangeError);
  });

  it('keys() skips temp files, junk names and keys in the wrong shard', async () => {
    const good = randomUUID();
    await put(store, good, Buffer.from('x'));
    const stray = randomUUID();
    await mkdir(path.join(data(), 'zz'), { recursive: true });
    await writeFile(path.join(data(), 'zz', stray), 'x');
    await mkdir(path.join(data(), stray.slice(0, 2) === 'ff' ? 'fe' : 'ff'), { recursive: true });
    await writeFile(path.join(data(), stray.slice(0, 2) === 'ff' ? 'fe' : 'ff', stray), 'wrong shard');
    await writeFile(path.join(data(), good.slice(0, 2), 'README'), 'junk');
    await writeFile(path.join(data(), good.slice(0, 2), `${good}.bak`), 'junk');
    await writeFile(path.join(data(), 'top-level-file'), 'junk');
    const inProgress = await store.begin(randomUUID(), live());
    const keys: string[] = [];
    for await (const k of store.keys(live())) keys.push(k);
    expect(keys).toEqual([good]);
    await inProgress.abort();
  });

  it('keys() of a store that was never written is empty', async () => {
    const keys: string[] = [];
    for await (const k of store.keys(live())) keys.push(k);
    expect(keys).toEqual([]);
    expect(await store.cleanTemp(live())).toBe(0);
  });

  it('cleanTemp removes files a crashed process left in .tmp and nothing else', async () => {
    const kept = randomUUID();
    await put(store, kept, Buffer.from('committed'));
    await writeFile(path.join(data(), '.tmp', `${randomUUID()}.0123abcd.part`), 'half an upload');
    await writeFile(path.join(data(), '.tmp', 'garbage'), 'x');
    expect(await store.cleanTemp(live())).toBe(2);
    expect(await tmpFiles()).toEqual([]);
    expect((await readAll(await store.open(kept, null, live()))).toString()).toBe('committed');
  });

  it('a commit that fails (the shard path is blocked) leaves nothing once aborted', async () => {
    const key = randomUUID();
    await mkdir(data(), { recursive: true });
    await writeFile(path.join(data(), key.slice(0, 2)), 'not a directory');
    const writer = await store.begin(key, live());
    await fill(writer, Buffer.from('data'));
    await expect(writer.commit(live())).rejects.toThrow();
    await writer.abort();
    expect(await tmpFiles()).toEqual([]);
    expect(await store.stat(key, live())).toBeNull();
  });
});
