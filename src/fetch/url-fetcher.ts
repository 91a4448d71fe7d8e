/**
 * Fetches image bytes from a user-supplied URL without letting the user reach internal services
 * (SSRF). Used by v1 copy-from (`x-glance-api-copy-from`), v1 external locations
 * (`x-image-meta-location`: HEAD at registration, GET on every download), v2 `web-download`
 * import and legacy task `import_from`.
 *
 * Per hop (the caller's URL and every redirect target):
 *   1. {@link validateUrl}: absolute URL, scheme in `allowedSchemes`, effective port in
 *      `allowedPorts`, non-empty host. The WHATWG parser has already canonicalised odd IPv4
 *      spellings (`2130706433`, `0177.0.0.1`, `127.1`) to dotted-quad.
 *   2. The host is resolved exactly once (IP literals are not resolved) and EVERY resolved
 *      address must pass the address policy (address-policy.ts); one bad address refuses the hop.
 *   3. A dedicated undici Client connects with a `lookup` that only hands out the checked
 *      addresses — no second DNS query, so DNS rebinding cannot swap the target. Host header, SNI
 *      and certificate verification still use the original host name.
 *   4. Redirects (301, 302, 303, 307, 308) are followed manually, at most `maxRedirects` times;
 *      their bodies (and those of error responses) are destroyed together with the connection.
 *
 * Redirect cap: glance_store's http store stops after 5 requests (`MAX_REDIRECTS = 5`, i.e. 4
 * redirects, 301/302 only); web-download's `urllib.request.urlopen` allows 10; python-requests 30.
 * The default here is 5 followed redirects (6 requests), which accepts every chain glance_store
 * accepts.
 *
 * Credentials: userinfo in a URL is sent as HTTP Basic auth (as glance_store does) and kept across
 * a redirect only while the origin (scheme, host, port) stays the same; a redirect URL carrying
 * its own userinfo uses that. Userinfo, query strings and resolved addresses never appear in error
 * messages; `finalUrl` has its userinfo stripped.
 *
 * TLS: certificates are verified by default against the URL's host name (SNI is that name too);
 * `tls.ca` / `tls.rejectUnauthorized` map glance_store's `https_ca_certificates_file` /
 * `https_insecure` (whose Glance default, True, skips verification — not copied here).
 *
 * Aborting the caller's signal destroys the connection: a pending `open`/`head`/`check` rejects
 * with `signal.reason`, an open body stream is destroyed with `signal.reason`.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';

import { Client } from 'undici';
import type { Dispatcher } from 'undici';

import {
  EMPTY_ALLOW_LIST,
  checkAddress,
  formatIp,
  isHostAllowListed,
  parseIp,
  type AllowList,
} from './address-policy.js';
import {
  FetchError,
  FetchFailedError,
  FetchRefusedError,
  FetchTooLargeError,
  redactUrl,
} from './errors.js';
import { Operation, pinnedLookup, race, type PinnedAddress } from './operation.js';
import { GuardedBody } from './guarded-body.js';
import { basicAuth, stripUserinfo, SUPPORTED_SCHEMES, validateUrl, type UrlPolicy } from './url-policy.js';

export { validateUrl, type UrlPolicy } from './url-policy.js';

export {
  FetchError,
  FetchFailedError,
  FetchRefusedError,
  FetchTooLargeError,
  redactUrl,
  type FailureKind,
  type RefusalReason,
  type TimeoutPhase,
} from './errors.js';

/** Resolves a host name to IP address literals (all of them). */
export type Resolver = (hostname: string) => Promise<readonly string[]>;

export interface UrlFetcherOptions {
  /** Addresses / host names exempt from the address policy. Default: empty. */
  allow?: AllowList;
  /** Default `['http', 'https']`; only http and https are supported at all. */
  allowedSchemes?: readonly string[];
  /** Effective ports allowed (an absent port means 80/443). Default `[80, 443]` (Glance); null = any. */
  allowedPorts?: readonly number[] | null;
  /** Redirects followed before failing. Default 5. */
  maxRedirects?: number;
  /** DNS resolution and TCP+TLS connect, each. Default 10 s. */
  connectTimeoutMs?: number;
  /** From request sent to complete response headers. Default 30 s. */
  headersTimeoutMs?: number;
  /** Longest gap between body chunks while the consumer is reading. Default 60 s. */
  bodyIdleTimeoutMs?: number;
  /** From the call to the end of the body (all hops). Default 6 h; null = none. */
  totalTimeoutMs?: number | null;
  /** Largest body accepted by `open`. Default 1 TiB (Glance `image_size_cap`). */
  maxBytes?: number;
  /** Default `glance-gateway`. */
  userAgent?: string;
  /** Default: `dns.lookup(host, { all: true })`. Injectable for tests. */
  resolver?: Resolver;
  /**
   * TLS trust for https: extra CA certificates (glance_store `https_ca_certificates_file`) and
   * whether to verify at all (glance_store `https_insecure` defaults to True, i.e. no checks; here
   * verification is ON unless `rejectUnauthorized: false`). SNI and the certificate check always
   * use the URL's host name, never the pinned address.
   */
  tls?: FetchTlsOptions;
}

export interface FetchTlsOptions {
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  rejectUnauthorized?: boolean;
}

export interface OpenResult {
  /** The body bytes; errors with a FetchError (or `signal.reason`) if the transfer fails. */
  body: Readable;
  /** Content-Length of the final response, if announced. */
  size: number | null;
  /** The URL the body came from, after redirects, without userinfo. */
  finalUrl: string;
}

export interface HeadResult {
  size: number | null;
  finalUrl: string;
}


const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const defaultResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

function parseContentLength(value: string | string[] | undefined): number | null {
  const values = value === undefined ? [] : Array.isArray(value) ? value : value.split(',');
  const trimmed = [...new Set(values.map((v) => v.trim()))];
  if (trimmed.length !== 1 || !/^\d{1,16}$/.test(trimmed[0] as string)) return null;
  const n = Number(trimmed[0]);
  return Number.isSafeInteger(n) ? n : null;
}


/** Destroys a response body we do not want (undici would otherwise emit an unhandled abort error). */
function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

function destroyQuietly(client: Client): void {
  client.destroy().catch(() => undefined);
}

interface Final {
  client: Client;
  res: Dispatcher.ResponseData;
  url: URL;
}

export class UrlFetcher {
  readonly #allow: AllowList;
  readonly #policy: UrlPolicy;
  readonly #maxRedirects: number;
  readonly #connectTimeoutMs: number;
  readonly #headersTimeoutMs: number;
  readonly #bodyIdleTimeoutMs: number;
  readonly #totalTimeoutMs: number | null;
  readonly #maxBytes: number;
  readonly #userAgent: string;
  readonly #resolver: Resolver;
  readonly #tls: { ca?: string | Buffer | Array<string | Buffer>; rejectUnauthorized: boolean };

  constructor(options: UrlFetcherOptions = {}) {
    const schemes = (options.allowedSchemes ?? ['http', 'https']).map((s) => s.toLowerCase());
    for (const s of schemes) {
      if (!SUPPORTED_SCHEMES.has(s)) throw new TypeError(`UrlFetcher: unsupported scheme '${s}' (http, https only)`);
    }
    const ports = options.allowedPorts === undefined ? [80, 443] : options.allowedPorts;
    if (ports !== null && !ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536)) {
      throw new TypeError('UrlFetcher: allowedPorts must be integers in 1..65535');
    }
    const nonNegInt = (name: string, v: number): number => {
      if (!Number.isInteger(v) || v < 0) throw new TypeError(`UrlFetcher: ${name} must be a non-negative integer`);
      return v;
    };
    const positive = (name: string, v: number): number => {
      if (!Number.isInteger(v) || v <= 0) throw new TypeError(`UrlFetcher: ${name} must be a positive integer`);
      return v;
    };
    this.#allow = options.allow ?? EMPTY_ALLOW_LIST;
    this.#policy = { allowedSchemes: schemes, allowedPorts: ports === null ? null : [...ports] };
    this.#maxRedirects = nonNegInt('maxRedirects', options.maxRedirects ?? 5);
    this.#connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs ?? 10_000);
    this.#headersTimeoutMs = positive('headersTimeoutMs', options.headersTimeoutMs ?? 30_000);
    this.#bodyIdleTimeoutMs = positive('bodyIdleTimeoutMs', options.bodyIdleTimeoutMs ?? 60_000);
    const total = options.totalTimeoutMs === undefined ? 6 * 3600_000 : options.totalTimeoutMs;
    this.#totalTimeoutMs = total === null ? null : positive('totalTimeoutMs', total);
    this.#maxBytes = nonNegInt('maxBytes', options.maxBytes ?? 1024 ** 4);
    this.#userAgent = options.userAgent ?? 'glance-gateway';
    this.#resolver = options.resolver ?? defaultResolver;
    const ca = options.tls?.ca;
    this.#tls = {
      rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
      ...(ca === undefined ? {} : { ca: typeof ca === 'string' || Buffer.isBuffer(ca) ? ca : [...ca] }),
    };
  }

  /**
   * Validates a URL and resolves and checks its host, without connecting. Throws
   * FetchRefusedError (policy) or FetchFailedError (`dns`, `timeout`). Redirect targets can only
   * be checked while fetching.
   */
  async check(url: string, signal: AbortSignal): Promise<void> {
    const op = new Operation(signal, this.#totalTimeoutMs);
    try {
      op.throwIfAborted();
      const target = validateUrl(url, this.#policy);
      op.currentUrl = redactUrl(target);
      await this.#resolveChecked(target, op, 0);
    } catch (e) {
      throw op.toError(e);
    } finally {
      op.dispose();
    }
  }

  /** GETs the URL; resolves once 2xx headers arrived, the body streams through `body`. */
  async open(url: string, signal: AbortSignal): Promise<OpenResult> {
    const op = new Operation(signal, this.#totalTimeoutMs);
    let final: Final;
    try {
      final = await this.#follow(url, 'GET', op);
    } catch (e) {
      op.dispose();
      throw e;
    }
    const { client, res } = final;
    const size = parseContentLength(res.headers['content-length']);
    const finalUrl = stripUserinfo(final.url);
    if (size !== null && size > this.#maxBytes) {
      discard(res.body);
      destroyQuietly(client);
      op.dispose();
      throw new FetchTooLargeError(this.#maxBytes, size, op.currentUrl);
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      destroyQuietly(client);
      op.dispose();
    };
    const body = new GuardedBody(res.body, { limit: this.#maxBytes, expected: size, op, release });
    return { body, size, finalUrl };
  }

  /** HEADs the URL (following redirects) and reports its Content-Length. Does not apply `maxBytes`. */
  async head(url: string, signal: AbortSignal): Promise<HeadResult> {
    const op = new Operation(signal, this.#totalTimeoutMs);
    try {
      const { client, res, url: finalUrl } = await this.#follow(url, 'HEAD', op);
      discard(res.body);
      destroyQuietly(client);
      return { size: parseContentLength(res.headers['content-length']), finalUrl: stripUserinfo(finalUrl) };
    } finally {
      op.dispose();
    }
  }

  async #resolveChecked(url: URL, op: Operation, hop: number): Promise<PinnedAddress[]> {
    const host = url.hostname;
    const redacted = op.currentUrl;
    const refuse = (verb: string, category: string, detail: string): FetchRefusedError =>
      new FetchRefusedError(
        'address',
        `Refused to fetch ${redacted}: host ${url.hostname} ${verb} a non-public address (${category})`,
        redacted,
        { detail, hop },
      );

    const literal = parseIp(host);
    if (literal) {
      const d = checkAddress(host, this.#allow);
      if (!d.allowed) throw refuse('is', d.category, `${host}: ${d.reason}`);
      return [{ address: formatIp(literal), family: literal.family }];
    }

    let found: readonly string[];
    try {
      found = await race(this.#resolver(host), op.signal, this.#connectTimeoutMs, () =>
        new FetchFailedError('timeout', `Timed out resolving ${url.host}`, redacted, { phase: 'connect' }),
      );
    } catch (e) {
      if (op.signal.aborted || e instanceof FetchError) throw e;
      throw new FetchFailedError('dns', `Could not resolve host ${url.host}`, redacted, { cause: e });
    }
    if (found.length === 0) throw new FetchFailedError('dns', `Host ${url.host} has no addresses`, redacted);

    const byName = isHostAllowListed(host, this.#allow);
    const out: PinnedAddress[] = [];
    for (const address of found) {
      const ip = parseIp(address);
      if (!ip || isIP(address) === 0) throw refuse('resolves to', 'invalid', `${host} → ${String(address)}`);
      if (!byName) {
        const d = checkAddress(address, this.#allow);
        if (!d.allowed) throw refuse('resolves to', d.category, `${host} → ${d.address}: ${d.reason}`);
      }
      out.push({ address: formatIp(ip), family: ip.family });
    }
    return out;
  }

  async #follow(rawUrl: string, method: 'GET' | 'HEAD', op: Operation): Promise<Final> {
    op.throwIfAborted();
    let url = validateUrl(rawUrl, this.#policy, 0);
    let auth = basicAuth(url);
    for (let hop = 0; ; hop++) {
      op.currentUrl = redactUrl(url);
      let addrs: PinnedAddress[];
      try {
        addrs = await this.#resolveChecked(url, op, hop);
      } catch (e) {
        throw op.toError(e);
      }
      op.throwIfAborted();

      const client = new Client(url.origin, {
        connect: { ...this.#tls, lookup: pinnedLookup(addrs), timeout: this.#connectTimeoutMs },
        headersTimeout: this.#headersTimeoutMs,
        bodyTimeout: this.#bodyIdleTimeoutMs,
        pipelining: 1,
      });
      const headers: Record<string, string> = {
        'user-agent': this.#userAgent,
        accept: '*/*',
        'accept-encoding': 'identity',
      };
      if (auth !== null) headers.authorization = auth;

      let res: Dispatcher.ResponseData;
      try {
        res = await client.request({ path: `${url.pathname}${url.search}`, method, headers, signal: op.signal });
      } catch (e) {
        destroyQuietly(client);
        throw op.toError(e);
      }

      const status = res.statusCode;
      if (status >= 200 && status < 300) return { client, res, url };

      // Not used any further: drop the body together with the connection.
      discard(res.body);
      destroyQuietly(client);
      const here = op.currentUrl;

      if (!REDIRECT_STATUSES.has(status)) {
        throw new FetchFailedError('status', `Fetching ${here} failed with HTTP status ${status}`, here, { status });
      }
      const location = res.headers.location;
      const loc = Array.isArray(location) ? location[0] : location;
      if (loc === undefined || loc === '') {
        throw new FetchFailedError('redirect', `HTTP ${status} from ${here} without a Location`, here, { status });
      }
      if (hop >= this.#maxRedirects) {
        throw new FetchFailedError('too-many-redirects', `More than ${this.#maxRedirects} redirects fetching ${here}`, here, {
          status,
        });
      }
      let next: URL;
      try {
        next = new URL(loc, url);
      } catch {
        throw new FetchFailedError('redirect', `HTTP ${status} from ${here} with an invalid Location`, here, { status });
      }
      next = validateUrl(next, this.#policy, hop + 1);
      const nextAuth = basicAuth(next);
      auth = nextAuth ?? (next.origin === url.origin ? auth : null);
      url = next;
    }
  }
}

