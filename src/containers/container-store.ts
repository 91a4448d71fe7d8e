import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ContainerInfo, ContainerObject, PutObjectResult } from '../core/container.js';
import { BadRequestError, ConflictError, NotFoundError, PayloadTooLargeError } from '../core/errors.js';
import { FileBlobWriter } from '../store/file-blob-writer.js';
import { fsyncDirectory, isNoEntry, openFd } from '../store/fs-util.js';
import { checkContainerName, checkObjectName, checkProject } from './names.js';
import { ObjectMeter } from './object-meter.js';

export interface ContainerStoreOptions {
  /** The container area, e.g. `<dataDir>/containers`. */
  root: string;
  /** Largest object accepted (the image size cap: an object is meant to become an image). */
  maxObjectBytes: number;
  /** Total bytes of objects per project; 0 = unlimited. */
  projectQuota: number;
}

export interface WriteOptions {
  signal: AbortSignal;
  /** Declared length, refused early when it cannot fit. */
  contentLength?: number;
  /** Export: the md5 the bytes must have, else nothing is kept. */
  expectMd5?: string;
  mismatch?: (actual: string) => Error;
}

const TMP = '.tmp';

/**
 * Objects as files: `<root>/<project>/<container>/<object>`. Writes stream into
 * `<root>/.tmp/*.part` and are renamed into place after fsync (FileBlobWriter), so a crash or
 * an abort leaves the old object or the new one, never a partial one.
 */
export class ContainerStore {
  readonly root: string;
  private readonly tmpDir: string;

  constructor(private readonly options: ContainerStoreOptions) {
    this.root = path.resolve(options.root);
    this.tmpDir = path.join(this.root, TMP);
  }

  async listContainers(project: string, signal: AbortSignal): Promise<ContainerInfo[]> {
    const dir = this.projectDir(project);
    const names = (await readdirOrEmpty(dir)).sort();
    const out: ContainerInfo[] = [];
    for (const name of names) {
      signal.throwIfAborted();
      const objects = await this.listObjects(project, name, signal);
      out.push({ name, count: objects.length, bytes: objects.reduce((n, o) => n + o.bytes, 0) });
    }
    return out;
  }

  /** Resolves true when the container was created, false when it existed. */
  async createContainer(project: string, container: string, signal: AbortSignal): Promise<boolean> {
    const dir = this.containerDir(project, container);
    signal.throwIfAborted();
    if (await exists(dir)) return false;
    await mkdir(dir, { recursive: true });
    await fsyncDirectory(path.dirname(dir));
    return true;
  }

  async deleteContainer(project: string, container: string, signal: AbortSignal): Promise<void> {
    const dir = this.containerDir(project, container);
    signal.throwIfAborted();
    try {
      await rmdir(dir);
    } catch (e) {
      if (isNoEntry(e)) throw notFoundContainer(container);
      if ((e as NodeJS.ErrnoException).code === 'ENOTEMPTY') {
        throw new ConflictError(`Container ${container} is not empty: delete its objects first.`, { reason: 'container_not_empty' });
      }
      throw e;
    }
  }

  async listObjects(project: string, container: string, signal: AbortSignal): Promise<ContainerObject[]> {
    const dir = this.containerDir(project, container);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if (isNoEntry(e)) throw notFoundContainer(container);
      throw e;
    }
    const out: ContainerObject[] = [];
    for (const name of names.sort()) {
      signal.throwIfAborted();
      const st = await stat(path.join(dir, name)).catch(() => null);
      if (st?.isFile()) out.push({ name, bytes: st.size, last_modified: st.mtimeMs });
    }
    return out;
  }

  async stat(project: string, container: string, object: string, signal: AbortSignal): Promise<ContainerObject> {
    const file = this.objectPath(project, container, object);
    signal.throwIfAborted();
    try {
      const st = await stat(file);
      if (!st.isFile()) throw notFoundObject(container, object);
      return { name: object, bytes: st.size, last_modified: st.mtimeMs };
    } catch (e) {
      if (isNoEntry(e)) {
        if (!(await exists(this.containerDir(project, container)))) throw notFoundContainer(container);
        throw notFoundObject(container, object);
      }
      throw e;
    }
  }

  /** Opens an object; the stream is destroyed when `signal` aborts. */
  async open(project: string, container: string, object: string, signal: AbortSignal): Promise<{ stream: Readable; info: ContainerObject }> {
    const info = await this.stat(project, container, object, signal);
    const stream = createReadStream(this.objectPath(project, container, object), { highWaterMark: 1024 * 1024, signal });
    // Fail on open errors (removed since stat) before the caller commits to anything.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return { stream, info };
  }

  async remove(project: string, container: string, object: string, signal: AbortSignal): Promise<void> {
    await this.stat(project, container, object, signal);
    await rm(this.objectPath(project, container, object), { force: true });
    await fsyncDirectory(this.containerDir(project, container));
  }

  /**
   * Streams `source` into `container/object` (replacing it on success). The container must
   * exist. The object must fit both the size cap and what is left of the project's quota.
   * A source refused before streaming is left untouched (an HTTP request body stays readable for
   * the error answer); callers that own a file stream destroy it on failure.
   */
  async write(project: string, container: string, object: string, source: Readable, opts: WriteOptions): Promise<PutObjectResult> {
    const dir = this.containerDir(project, container);
    const final = this.objectPath(project, container, object);
    const { signal } = opts;
    if (!(await exists(dir))) throw notFoundContainer(container);
    const { maxBytes, tooLarge } = await this.byteLimit(project, final);
    if (opts.contentLength !== undefined && opts.contentLength > maxBytes) throw tooLarge(opts.contentLength);
    await mkdir(this.tmpDir, { recursive: true });
    const tempPath = path.join(this.tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const fd = await openFd(tempPath, 'wx', 0o640);
    const writer = new FileBlobWriter({ fd, tempPath, shardDir: dir, finalPath: final, root: this.projectDir(project) });
    const meter = new ObjectMeter(maxBytes, tooLarge);
    try {
      await pipeline(source, meter, writer.writable, { signal });
      const md5 = meter.digest();
      if (opts.expectMd5 !== undefined && opts.expectMd5 !== md5) {
        throw opts.mismatch?.(md5) ?? new BadRequestError(`Checksum mismatch: expected ${opts.expectMd5}, got ${md5}.`);
      }
      await writer.commit(signal);
      return { name: object, bytes: meter.size, last_modified: Date.now(), md5 };
    } catch (e) {
      await writer.abort();
      if (signal.aborted) throw signal.reason;
      throw e;
    }
  }

  /** Bytes of every object of the project. */
  async usage(project: string): Promise<number> {
    let total = 0;
    const dir = this.projectDir(project);
    for (const c of await readdirOrEmpty(dir)) {
      for (const o of await readdirOrEmpty(path.join(dir, c))) {
        const st = await stat(path.join(dir, c, o)).catch(() => null);
        if (st?.isFile()) total += st.size;
      }
    }
    return total;
  }

  /** Removes temp files a crash left behind; resolves with how many. */
  async cleanTemp(signal: AbortSignal): Promise<number> {
    let n = 0;
    for (const name of await readdirOrEmpty(this.tmpDir)) {
      signal.throwIfAborted();
      await rm(path.join(this.tmpDir, name), { force: true });
      n++;
    }
    return n;
  }

  private async byteLimit(project: string, final: string): Promise<{ maxBytes: number; tooLarge: (n: number) => Error }> {
    const cap = this.options.maxObjectBytes;
    const quota = this.options.projectQuota;
    if (quota > 0) {
      // The object being replaced frees its bytes.
      const replaced = (await stat(final).catch(() => null))?.size ?? 0;
      const remaining = Math.max(0, quota - (await this.usage(project)) + replaced);
      if (remaining < cap) {
        return {
          maxBytes: remaining,
          tooLarge: (n) =>
            new PayloadTooLargeError(
              `Container quota exceeded: an object of ${n} bytes does not fit, ${remaining} bytes of the project's ${quota} remain.`,
              { reason: 'container_quota' },
            ),
        };
      }
    }
    return {
      maxBytes: cap,
      tooLarge: (n) => new PayloadTooLargeError(`Object too large: ${n} bytes exceed the limit of ${cap} bytes.`, { reason: 'size_cap' }),
    };
  }

  private projectDir(project: string): string {
    return this.inside(path.join(this.root, checkProject(project)));
  }

  private containerDir(project: string, container: string): string {
    return this.inside(path.join(this.projectDir(project), checkContainerName(container)));
  }

  private objectPath(project: string, container: string, object: string): string {
    return this.inside(path.join(this.containerDir(project, container), checkObjectName(object)));
  }

  /** Defence in depth: names are already confined by their alphabet. */
  private inside(p: string): string {
    const resolved = path.resolve(p);
    if (!resolved.startsWith(this.root + path.sep)) throw new BadRequestError('Path escapes the container area.');
    return resolved;
  }
}

function notFoundContainer(container: string): NotFoundError {
  return new NotFoundError(`Container ${container} not found.`, { reason: 'container_not_found' });
}

function notFoundObject(container: string, object: string): NotFoundError {
  return new NotFoundError(`Object ${container}/${object} not found.`, { reason: 'object_not_found' });
}

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null)) !== null;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (isNoEntry(e)) return [];
    throw e;
  }
}

