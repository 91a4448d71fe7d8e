import type { Worker } from 'node:worker_threads';

/** One streamed sha512 computation on a worker thread. */
export interface HashJob {
  /**
   * Queues `chunk` for hashing. It is copied before this returns or before the returned promise
   * resolves, so the caller may reuse it at once. Returns a promise only when the caller must wait
   * for the worker (backpressure); call write again only after it resolves.
   */
  write(chunk: Uint8Array): Promise<void> | undefined;
  /** The hex sha512 of every byte written. The job is over afterwards. */
  digest(): Promise<string>;
  /** Ends the job without a digest; pending write/digest promises reject with `reason`. */
  cancel(reason?: unknown): void;
  /** Bytes handed to the worker and not yet acknowledged. */
  readonly inFlightBytes: number;
  /** The highest inFlightBytes seen; never above the pool's maxInFlightBytes. */
  readonly peakInFlightBytes: number;
}

/** Bytes announced to the worker per message (see Sha512Job.copy). */
const POST_BATCH = 1024 * 1024;

/** What a worker tells the job bound to it. */
interface JobSink {
  ack(bytes: number): void;
  finished(message: { digest?: string; cancelled?: boolean }): void;
  fail(error: Error): void;
}

/** A pool's worker thread, its ring, and the job it serves if any. */
export class PoolWorker {
  job: JobSink | null = null;
  dead = false;

  constructor(
    readonly worker: Worker,
    readonly ring: Uint8Array,
  ) {
    worker.on('message', (m: unknown) => {
      if (typeof m === 'number') this.job?.ack(m);
      else if (typeof m === 'object' && m !== null) this.job?.finished(m);
    });
    worker.on('error', (e: Error) => this.fail(e));
    worker.on('messageerror', (e: Error) => this.fail(e));
    worker.on('exit', (code: number) => this.fail(new Error(`sha512 worker exited with code ${code}`)));
  }

  fail(error: Error): void {
    if (!this.dead) {
      this.dead = true;
      // A worker that failed mid-job has an unknown ring position: never reuse it.
      this.worker.terminate().catch(() => undefined);
    }
    const job = this.job;
    this.job = null;
    job?.fail(error);
  }
}

/**
 * The main-thread side of one job: copies chunks into the worker's ring, tracks the bytes the
 * worker has not acknowledged, and makes writers wait while the ring is full.
 */
export class Sha512Job implements HashJob {
  private wpos = 0;
  /** Bytes copied into the ring but not yet announced to the worker. */
  private unposted = 0;
  private inFlight = 0;
  private peak = 0;
  private failed = false;
  private error: unknown = undefined;
  /** 'end' was posted, or the job failed: nothing more may be written. */
  private over = false;
  private roomWaiter: { need: number; resolve: () => void; reject: (e: unknown) => void } | null = null;
  private pendingWrite: Promise<void> | null = null;
  private digestWaiter: { resolve: (hex: string) => void; reject: (e: unknown) => void } | null = null;
  private readonly onAbort = (): void => this.cancel(this.signal.reason);

  constructor(
    private readonly pw: PoolWorker,
    private readonly signal: AbortSignal,
    private readonly release: (w: PoolWorker) => void,
  ) {
    if (pw.dead) {
      this.settle(new Error('sha512 worker died'));
      return;
    }
    pw.job = this;
    pw.worker.ref();
    pw.worker.postMessage('begin');
    signal.addEventListener('abort', this.onAbort, { once: true });
    if (signal.aborted) this.cancel(signal.reason);
  }

  get inFlightBytes(): number {
    return this.inFlight;
  }

  get peakInFlightBytes(): number {
    return this.peak;
  }

  write(chunk: Uint8Array): Promise<void> | undefined {
    if (this.failed) return Promise.reject(this.error);
    if (this.over) throw new Error('sha512 job already finished');
    if (this.pendingWrite !== null) throw new Error('sha512 job: write() while the previous write is pending');
    const done = this.copy(chunk, 0);
    if (done === chunk.length) return undefined;
    const p = this.writeRest(chunk, done).finally(() => {
      this.pendingWrite = null;
    });
    this.pendingWrite = p;
    return p;
  }

  digest(): Promise<string> {
    if (this.failed) return Promise.reject(this.error);
    if (this.over) return Promise.reject(new Error('sha512 job already finished'));
    if (this.pendingWrite !== null) return Promise.reject(new Error('sha512 job: digest() while a write is pending'));
    this.over = true;
    this.post();
    return new Promise<string>((resolve, reject) => {
      this.digestWaiter = { resolve, reject };
      this.pw.worker.postMessage('end');
    });
  }

  cancel(reason: unknown = new Error('sha512 job cancelled')): void {
    if (this.failed) return;
    const endPosted = this.over;
    if (endPosted && this.digestWaiter === null) return; // digest already delivered
    this.settle(reason);
    // Exactly one terminal message per job: if 'end' is already on its way, its reply releases
    // the worker; a second 'cancel' would produce a reply the worker's next job would receive.
    if (!endPosted && this.pw.job === this) this.pw.worker.postMessage('cancel');
  }

  ack(bytes: number): void {
    this.inFlight -= bytes;
    const w = this.roomWaiter;
    if (w !== null && this.pw.ring.length - this.inFlight >= w.need) {
      this.roomWaiter = null;
      w.resolve();
    }
  }

  finished(m: { digest?: string; cancelled?: boolean }): void {
    this.pw.job = null;
    this.release(this.pw);
    if (typeof m.digest === 'string' && this.digestWaiter !== null) {
      this.digestWaiter.resolve(m.digest);
      this.digestWaiter = null;
      this.signal.removeEventListener('abort', this.onAbort);
    }
  }

  fail(error: Error): void {
    this.settle(error);
  }

  /** Copies as much of chunk[from..] as fits now; returns where it stopped. */
  private copy(chunk: Uint8Array, from: number): number {
    const ring = this.pw.ring;
    const cap = ring.length;
    // Pieces of at most a quarter ring, so the worker can hash one while the next is copied.
    const maxPiece = cap >> 2;
    let off = from;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, maxPiece, cap - this.wpos);
      if (cap - this.inFlight < n) break;
      ring.set(chunk.subarray(off, off + n), this.wpos);
      this.unposted += n;
      this.wpos = this.wpos + n === cap ? 0 : this.wpos + n;
      this.inFlight += n;
      if (this.inFlight > this.peak) this.peak = this.inFlight;
      off += n;
      // One message per POST_BATCH bytes, not per chunk: a postMessage per 64 KiB chunk cost
      // the main thread ~0.75 s per GiB. A message never spans the ring's end (the protocol).
      if (this.wpos === 0 || this.unposted >= Math.min(POST_BATCH, maxPiece)) this.post();
    }
    // Whatever stays unposted now would leave the worker idle while the writer waits for room.
    if (off < chunk.length) this.post();
    return off;
  }

  /** Hands the bytes copied since the last message to the worker. */
  private post(): void {
    if (this.unposted === 0) return;
    this.pw.worker.postMessage(this.unposted);
    this.unposted = 0;
  }

  private async writeRest(chunk: Uint8Array, from: number): Promise<void> {
    let off = from;
    while (off < chunk.length) {
      const need = Math.min(chunk.length - off, this.pw.ring.length >> 2, this.pw.ring.length - this.wpos);
      await new Promise<void>((resolve, reject) => {
        this.roomWaiter = { need, resolve, reject };
      });
      // A cancel may land between the ack and this continuation; the worker may already serve
      // another job by then, so not one more byte may go to it.
      if (this.failed) throw this.error;
      off = this.copy(chunk, off);
    }
  }

  /** Marks the job failed and rejects whoever waits on it. */
  private settle(reason: unknown): void {
    this.failed = true;
    this.error = reason;
    this.over = true;
    this.signal.removeEventListener('abort', this.onAbort);
    this.roomWaiter?.reject(reason);
    this.roomWaiter = null;
    this.digestWaiter?.reject(reason);
    this.digestWaiter = null;
  }
}
