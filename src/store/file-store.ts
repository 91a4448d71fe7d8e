import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, opendir, readdir, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';

import { FileBlobWriter } from './file-blob-writer.js';
import { closeFd, isNoEntry, openFd } from './fs-util.js';
import type { BlobStore, BlobWriter } from './store.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHARD = /^[0-9a-f]{2}$/;
const TMP_DIR = '.tmp';

/**
 * Read size for downloads. 1 MiB reads cut the syscalls and stream callbacks per byte; larger
 * reads did not pipe to a socket any faster and cost more memory per download.
 */
export const FILE_READ_CHUNK = 1024 * 1024;

export interface FileStoreOptions {
  id: string;
  root: string;
  description?: string;
}

/** Thrown by open() when the key has no committed blob; `code` is 'ENOENT' like fs errors. */
export class BlobNotFoundError extends Error {
  readonly code = 'ENOENT';

  constructor(key: string) {
    // The message names the key, never the path, so it is safe to show.
    super(`blob ${key} not found`);
    this.name = 'BlobNotFoundError';
  }
}

/**
 * Blobs as files under `root`: key K lives at `<root>/<K[0..2]>/<K>` (256 shard directories
 * keep directories small), writes go to `<root>/.tmp/<K>.<random>.part` and are renamed into
 * place on commit. Keys must be UUIDs (matched case-insensitively, stored lower-case).
 */
export class FileStore implements BlobStore {
  readonly type = 'file';
  readonly id: string;
  readonly description: string | undefined;
  readonly properties: Record<string, unknown>;
  private readonly root: string;
  private readonly tmpDir: string;

  constructor(options: FileStoreOptions) {
    this.id = options.id;
    this.description = options.description;
    this.root = path.resolve(options.root);
    this.tmpDir = path.join(this.root, TMP_DIR);
    // The same keys as Glance's filesystem store reports in /v2/info/stores/detail.
    this.properties = { data_dir: this.root, chunk_size: FILE_READ_CHUNK, thin_provisioning: false };
  }

  /**
   * Creates the temp file. `signal` covers begin() only: the write itself stops when `writable` is
   * destroyed, which ingest()'s pipeline does when its own signal aborts.
   */
  async begin(key: string, signal: AbortSignal): Promise<BlobWriter> {
    const { key: k, dir, file } = this.locate(key);
    signal.throwIfAborted();
    await mkdir(this.tmpDir, { recursive: true });
    const tempPath = path.join(this.tmpDir, `${k}.${randomBytes(8).toString('hex')}.part`);
    const fd = await openFd(tempPath, 'wx', 0o640);
    if (signal.aborted) {
      await closeFd(fd);
      await rm(tempPath, { force: true });
      throw signal.reason;
    }
    return new FileBlobWriter({ fd, tempPath, shardDir: dir, finalPath: file, root: this.root });
  }

  /**
   * The bytes of `key` (inclusive range if given). Rejects with BlobNotFoundError (code 'ENOENT')
   * when there is no committed blob. A range past the end yields the bytes that exist.
   */
  async open(key: string, range: { start: number; end: number } | null, signal: AbortSignal): Promise<Readable> {
    const { key: k, file } = this.locate(key);
    if (range !== null) checkRange(range);
    signal.throwIfAborted();
    let fd: number;
    try {
      fd = await openFd(file, 'r');
    } catch (e) {
      if (isNoEntry(e)) throw new BlobNotFoundError(k);
      throw e;
    }
    if (signal.aborted) {
      await closeFd(fd);
      throw signal.reason;
    }
    // autoClose (the default) closes the fd on end, error or destroy, including on abort.
    return createReadStream('', {
      fd,
      highWaterMark: FILE_READ_CHUNK,
      signal,
      ...(range !== null ? { start: range.start, end: range.end } : {}),
    });
  }

  async stat(key: string, signal: AbortSignal): Promise<number | null> {
    const { file } = this.locate(key);
    signal.throwIfAborted();
    try {
      const s = await stat(file);
      return s.isFile() ? s.size : null;
    } catch (e) {
      if (isNoEntry(e)) return null;
      throw e;
    }
  }

  async remove(key: string, signal: AbortSignal): Promise<void> {
    const { file } = this.locate(key);
    signal.throwIfAborted();
    try {
      await unlink(file);
    } catch (e) {
      if (!isNoEntry(e)) throw e;
    }
  }

  async *keys(signal: AbortSignal): AsyncIterable<string> {
    signal.throwIfAborted();
    let shards;
    try {
      shards = await readdir(this.root, { withFileTypes: true });
    } catch (e) {
      if (isNoEntry(e)) return;
      throw e;
    }
    for (const shard of shards) {
      if (!shard.isDirectory() || !SHARD.test(shard.name)) continue;
      // opendir streams the entries: a shard can hold many thousands of blobs.
      const dir = await opendir(path.join(this.root, shard.name));
      for await (const entry of dir) {
        signal.throwIfAborted();
        if (entry.isFile() && LOWER_UUID.test(entry.name) && entry.name.startsWith(shard.name)) yield entry.name;
      }
    }
  }

  /**
   * Deletes every file in the temp directory. Meant for startup, before writes are accepted: a
   * write in progress loses its temp file and its commit() then rejects.
   */
  async cleanTemp(signal: AbortSignal): Promise<number> {
    signal.throwIfAborted();
    let entries;
    try {
      entries = await readdir(this.tmpDir, { withFileTypes: true });
    } catch (e) {
      if (isNoEntry(e)) return 0;
      throw e;
    }
    let removed = 0;
    for (const entry of entries) {
      signal.throwIfAborted();
      if (entry.isDirectory()) continue;
      try {
        await unlink(path.join(this.tmpDir, entry.name));
        removed++;
      } catch (e) {
        if (!isNoEntry(e)) throw e;
      }
    }
    return removed;
  }

  /** Validates a key and maps it to its paths, refusing anything that would leave the root. */
  /** The `file://` URL of `key`'s blob, as Glance's filesystem store reports a location. */
  locationUrl(key: string): string {
    return pathToFileURL(this.locate(key).file).href;
  }

  private locate(key: string): { key: string; dir: string; file: string } {
    if (typeof key !== 'string' || !UUID.test(key)) throw new Error('invalid blob key');
    const k = key.toLowerCase();
    const dir = path.resolve(this.root, k.slice(0, 2));
    const file = path.resolve(dir, k);
    // The regex already rules out separators and dots; this is defence in depth should it change.
    const rel = path.relative(this.root, file);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || path.dirname(file) !== dir) {
      throw new Error('invalid blob key');
    }
    return { key: k, dir, file };
  }
}

function checkRange(range: { start: number; end: number }): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`invalid byte range ${String(start)}-${String(end)}`);
  }
}
