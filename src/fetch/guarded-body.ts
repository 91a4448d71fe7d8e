/** The body stream handed to callers of UrlFetcher.open; see url-fetcher.ts. */
import { Readable } from 'node:stream';
import { FetchFailedError, FetchTooLargeError } from './errors.js';
import type { Operation } from './operation.js';

export interface GuardOptions {
  limit: number;
  expected: number | null;
  op: Operation;
  release: () => void;
}

/**
 * The body handed to callers: forwards the undici body with back-pressure, enforces `maxBytes`
 * and the announced length, maps transport errors to FetchErrors, and releases the connection
 * when it ends or is destroyed.
 */
export class GuardedBody extends Readable {
  readonly #src: Readable;
  readonly #o: GuardOptions;
  readonly #onAbort: () => void;
  #received = 0;
  #ended = false;

  constructor(src: Readable, o: GuardOptions) {
    super({ highWaterMark: 64 * 1024 });
    this.#src = src;
    this.#o = o;
    const url = o.op.currentUrl;
    src.pause();
    src.on('data', (chunk: Buffer) => {
      if (this.destroyed) return;
      this.#received += chunk.length;
      if (this.#received > o.limit) {
        this.destroy(new FetchTooLargeError(o.limit, this.#received, url));
        return;
      }
      if (!this.push(chunk)) src.pause();
    });
    src.once('end', () => {
      this.#ended = true;
      o.release();
      if (this.destroyed) return;
      if (o.expected !== null && this.#received !== o.expected) {
        this.destroy(
          new FetchFailedError('truncated', `Body from ${url} ended after ${this.#received} of ${o.expected} bytes`, url),
        );
        return;
      }
      this.push(null);
    });
    src.on('error', (e: unknown) => this.destroy(o.op.toError(e) as Error));
    src.once('close', () => {
      if (!this.#ended && !this.destroyed) {
        this.destroy(new FetchFailedError('network', `Connection closed before the body from ${url} ended`, url));
      }
    });
    this.#onAbort = () => this.destroy(o.op.signal.reason as Error);
    o.op.signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  override _read(): void {
    this.#src.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#o.op.signal.removeEventListener('abort', this.#onAbort);
    if (!this.#src.destroyed) this.#src.destroy();
    this.#o.release();
    callback(err);
  }
}

