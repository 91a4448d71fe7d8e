/** One fetch operation's abort and timeout plumbing, and the DNS-pinned lookup; see url-fetcher.ts. */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { FetchError, FetchFailedError } from './errors.js';

export interface PinnedAddress {
  address: string;
  family: 4 | 6;
}

export type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `net.connect` lookup that only ever answers with the already-checked addresses. */
export function pinnedLookup(addrs: readonly PinnedAddress[]) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const f = options.family;
    const fam = f === 4 || f === 'IPv4' ? 4 : f === 6 || f === 'IPv6' ? 6 : 0;
    const list = fam === 0 ? addrs : addrs.filter((a) => a.family === fam);
    const first = list[0];
    process.nextTick(() => {
      if (!first) {
        const err: NodeJS.ErrnoException = new Error(`no checked address of family ${fam} for ${hostname}`);
        err.code = 'ENOTFOUND';
        callback(err, '');
      } else if (options.all) {
        callback(null, list.map((a) => ({ address: a.address, family: a.family })));
      } else {
        callback(null, first.address, first.family);
      }
    });
  };
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError');
}

/** One open/head/check call: the caller's signal plus the total deadline, as one internal signal. */
export class Operation {
  readonly #ctl = new AbortController();
  readonly #external: AbortSignal;
  readonly #onAbort: () => void;
  #timer: NodeJS.Timeout | undefined;
  /** Redacted URL of the current hop, for messages. */
  currentUrl = '<invalid URL>';

  constructor(external: AbortSignal, totalMs: number | null) {
    this.#external = external;
    this.#onAbort = () => this.#ctl.abort(abortReason(external));
    if (external.aborted) this.#onAbort();
    else external.addEventListener('abort', this.#onAbort, { once: true });
    if (totalMs !== null && !this.#ctl.signal.aborted) {
      this.#timer = setTimeout(() => {
        this.#ctl.abort(
          new FetchFailedError('timeout', `Fetching ${this.currentUrl} took longer than ${totalMs} ms`, this.currentUrl, {
            phase: 'total',
          }),
        );
      }, totalMs);
    }
  }

  get signal(): AbortSignal {
    return this.#ctl.signal;
  }

  throwIfAborted(): void {
    if (this.#ctl.signal.aborted) throw this.#ctl.signal.reason;
  }

  /** Maps any failure to what the caller should see. */
  toError(e: unknown): unknown {
    if (this.#ctl.signal.aborted) return this.#ctl.signal.reason;
    if (e instanceof FetchError) return e;
    const url = this.currentUrl;
    const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
    switch (code) {
      case 'UND_ERR_CONNECT_TIMEOUT':
        return new FetchFailedError('timeout', `Timed out connecting to ${url}`, url, { phase: 'connect', cause: e });
      case 'UND_ERR_HEADERS_TIMEOUT':
        return new FetchFailedError('timeout', `Timed out waiting for response headers from ${url}`, url, {
          phase: 'headers',
          cause: e,
        });
      case 'UND_ERR_BODY_TIMEOUT':
        return new FetchFailedError('timeout', `Timed out waiting for body data from ${url}`, url, {
          phase: 'body',
          cause: e,
        });
      case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
        return new FetchFailedError('truncated', `Body from ${url} does not match its Content-Length`, url, { cause: e });
      default: {
        const suffix = typeof code === 'string' ? ` (${code})` : '';
        return new FetchFailedError('network', `Network error fetching ${url}${suffix}`, url, { cause: e });
      }
    }
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#external.removeEventListener('abort', this.#onAbort);
  }
}

/** Settles with `p`, or rejects when the signal fires or after `timeoutMs`. */
export function race<T>(p: Promise<T>, signal: AbortSignal, timeoutMs: number, onTimeout: () => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      done();
      reject(onTimeout());
    }, timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        done();
        resolve(v);
      },
      (e: unknown) => {
        done();
        reject(e);
      },
    );
  });
}

