import { createHash } from 'node:crypto';
import type { HashJob } from './hash-pool.js';

/**
 * sha512 on the calling thread, for when every worker is busy. Under that much concurrency
 * both cores are already saturated, so hashing inline costs no throughput, while waiting for
 * a worker would stall an upload behind a slow client for as long as that client takes.
 */
export class InlineSha512Job implements HashJob {
  private readonly hash = createHash('sha512');
  private done = false;
  readonly inFlightBytes = 0;
  readonly peakInFlightBytes = 0;

  write(chunk: Uint8Array): undefined {
    if (this.done) throw new Error('hash job is over');
    this.hash.update(chunk);
    return undefined;
  }

  async digest(): Promise<string> {
    if (this.done) throw new Error('hash job is over');
    this.done = true;
    return this.hash.digest('hex');
  }

  cancel(): void {
    this.done = true;
  }
}
