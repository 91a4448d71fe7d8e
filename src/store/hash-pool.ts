import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

import { PoolWorker, Sha512Job, type HashJob } from './hash-job.js';
import { HASH_WORKER_SOURCE } from './hash-worker-source.js';
import { InlineSha512Job } from './inline-hash-job.js';

export type { HashJob } from './hash-job.js';

export interface HashPoolOptions {
  /** Most workers alive at once; further jobs wait for a free one. */
  size?: number;
  /**
   * Bytes copied to a worker and not yet hashed. A writer waits beyond this, so a slow worker
   * never makes memory grow. Also the size of each worker's shared ring buffer.
   */
  maxInFlightBytes?: number;
  /** Sees each worker as it is created (metrics; tests use it to simulate a crash). */
  onWorker?: (worker: Worker) => void;
}

const DEFAULT_MAX_IN_FLIGHT = 8 * 1024 * 1024;

/**
 * A pool of worker threads computing sha512, so that hashing an upload uses a second core while
 * the main thread does md5 and the file writes. Workers are created lazily, reused across jobs
 * (one job per worker at a time, later jobs queue) and unref()'d while idle so they never keep
 * the process alive. Bytes reach a worker through a SharedArrayBuffer ring: one memcpy per chunk,
 * no allocation, and the ring size is the backpressure bound.
 */
export class HashPool {
  readonly size: number;
  readonly maxInFlightBytes: number;
  private readonly onWorker: ((worker: Worker) => void) | undefined;
  private readonly idle: PoolWorker[] = [];
  private readonly all = new Set<PoolWorker>();
  private readonly waiting: Array<{ take: (w: PoolWorker) => void; reject: (e: unknown) => void }> = [];
  private closed = false;

  constructor(options: HashPoolOptions = {}) {
    this.size = options.size ?? Math.max(2, availableParallelism());
    this.maxInFlightBytes = options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT;
    if (!Number.isInteger(this.size) || this.size < 1) throw new Error('HashPool size must be a positive integer');
    if (!Number.isInteger(this.maxInFlightBytes) || this.maxInFlightBytes < 1024) {
      throw new Error('HashPool maxInFlightBytes must be an integer >= 1024');
    }
    this.onWorker = options.onWorker;
  }

  /**
   * Starts a sha512 job on a worker. When all `size` workers are busy it waits for one, or,
   * with `inlineWhenBusy`, hashes on the calling thread instead (see InlineSha512Job).
   */
  async start(signal: AbortSignal, options: { inlineWhenBusy?: boolean } = {}): Promise<HashJob> {
    signal.throwIfAborted();
    if (this.closed) throw new Error('hash pool closed');
    let worker = this.idle.pop();
    while (worker?.dead === true) worker = this.idle.pop();
    if (worker === undefined && this.all.size >= this.size && options.inlineWhenBusy === true) {
      return new InlineSha512Job();
    }
    worker ??= this.all.size < this.size ? this.spawn() : await this.waitForWorker(signal);
    return new Sha512Job(worker, signal, (w) => this.release(w));
  }

  /** Terminates every worker; running jobs reject and queued start() calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    const error = new Error('hash pool closed');
    for (const w of this.all) w.fail(error);
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
    await Promise.all([...this.all].map((w) => w.worker.terminate()));
    this.all.clear();
    this.idle.length = 0;
  }

  private waitForWorker(signal: AbortSignal): Promise<PoolWorker> {
    return new Promise<PoolWorker>((resolve, reject) => {
      const waiter = {
        take: (w: PoolWorker): void => {
          signal.removeEventListener('abort', onAbort);
          resolve(w);
        },
        reject: (e: unknown): void => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private spawn(): PoolWorker {
    const ring = new SharedArrayBuffer(this.maxInFlightBytes);
    const worker = new Worker(HASH_WORKER_SOURCE, {
      eval: true,
      workerData: { ring, ackBytes: Math.max(1, this.maxInFlightBytes >> 3) },
    });
    const pw = new PoolWorker(worker, new Uint8Array(ring));
    this.all.add(pw);
    worker.on('exit', () => {
      this.all.delete(pw);
      const i = this.idle.indexOf(pw);
      if (i >= 0) this.idle.splice(i, 1);
      // A crashed worker frees a slot: someone queued may now get a fresh worker.
      const next = this.closed ? undefined : this.waiting.shift();
      if (next !== undefined) next.take(this.spawn());
    });
    this.onWorker?.(worker);
    return pw;
  }

  private release(w: PoolWorker): void {
    if (w.dead || this.closed) return;
    const next = this.waiting.shift();
    if (next !== undefined) return next.take(w);
    w.worker.unref();
    this.idle.push(w);
  }
}
