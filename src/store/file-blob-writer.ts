import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';

import { fsyncDirectory, fsyncFd } from './fs-util.js';
import type { BlobWriter } from './store.js';

/**
 * Buffered bytes before the write stream pushes back. With 64 KiB socket chunks, a pending
 * write lets the next ones queue up to this much, and fs.WriteStream then flushes them with
 * one writev: fewer syscalls and thread-pool round trips than one write per chunk.
 */
export const FILE_WRITE_HIGH_WATER_MARK = 1024 * 1024;

export interface FileBlobWriterInit {
  /** Open (O_EXCL) fd of the temp file; the writer owns it from now on. */
  fd: number;
  tempPath: string;
  shardDir: string;
  finalPath: string;
  root: string;
}

type State = 'writing' | 'committing' | 'renamed' | 'committed' | 'failed' | 'aborted';

/**
 * One write of a FileStore blob. The stream keeps the fd open after it finishes (autoClose:
 * false) so commit() can fsync it; destroy() closes it once any in-flight write is done, which
 * is why every close goes through the stream rather than closing the fd directly.
 */
export class FileBlobWriter implements BlobWriter {
  readonly writable: WriteStream;
  private state: State = 'writing';
  private streamError: unknown = undefined;
  private committing: Promise<void> | null = null;
  private aborting: Promise<void> | null = null;

  constructor(private readonly init: FileBlobWriterInit) {
    this.writable = createWriteStream('', {
      fd: init.fd,
      autoClose: false,
      highWaterMark: FILE_WRITE_HIGH_WATER_MARK,
      // No `signal` here on purpose: an abort would destroy the stream, closing the fd while
      // commit() may be fsyncing it. Whoever pipes into `writable` passes the signal to its
      // pipeline (ingest() does), which destroys the stream while bytes still flow.
    });
    // Errors reach the caller through its pipeline and through commit(). Without a listener, an
    // error nobody pipes (a bare write() before abort(), a destroy(err) by the caller) would be
    // an uncaught exception.
    this.writable.on('error', (e) => {
      this.streamError ??= e;
    });
  }

  commit(signal: AbortSignal): Promise<void> {
    if (this.state !== 'writing') return Promise.reject(new Error(`cannot commit: blob write is ${this.state}`));
    this.committing = this.doCommit(signal);
    return this.committing;
  }

  /**
   * Discards the temp file. After a commit that failed once the file was renamed (the directory
   * fsync failed), it also removes the committed file: the caller was told the write failed, so
   * the key must not serve it. A no-op after a successful commit.
   */
  abort(): Promise<void> {
    this.aborting ??= this.doAbort().catch((e: unknown) => {
      this.aborting = null; // let a later call retry
      throw e;
    });
    return this.aborting;
  }

  private async doCommit(signal: AbortSignal): Promise<void> {
    const ws = this.writable;
    if (this.streamError !== undefined || ws.errored !== null) {
      this.state = 'failed';
      throw new Error('cannot commit: the blob stream failed', { cause: this.streamError ?? ws.errored });
    }
    if (!ws.writableFinished) throw new Error('cannot commit before the writable has finished');
    signal.throwIfAborted();
    this.state = 'committing';
    try {
      await fsyncFd(this.init.fd);
      await this.closeStream();
      // Last point at which giving up leaves nothing behind.
      signal.throwIfAborted();
      const created = await mkdir(this.init.shardDir, { recursive: true });
      await rename(this.init.tempPath, this.init.finalPath);
      this.state = 'renamed';
      await fsyncDirectory(this.init.shardDir);
      // A new shard directory is itself an entry of the root that must survive a crash.
      if (created !== undefined) await fsyncDirectory(this.init.root);
      this.state = 'committed';
    } catch (e) {
      if (this.state === 'committing') this.state = 'failed';
      throw e;
    }
  }

  private async doAbort(): Promise<void> {
    if (this.committing !== null) await this.committing.catch(() => undefined);
    if (this.state === 'committed' || this.state === 'aborted') return;
    const renamed = this.state === 'renamed';
    this.state = 'aborted';
    await this.closeStream();
    await rm(this.init.tempPath, { force: true });
    if (renamed) await rm(this.init.finalPath, { force: true });
  }

  /** Destroys the stream and waits until it closed the fd (after any in-flight write). */
  private closeStream(): Promise<void> {
    const ws = this.writable;
    if (ws.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.destroy();
    });
  }
}
