/**
 * Typed errors of the URL fetcher. They are deliberately NOT CoreErrors: each caller maps them to
 * its own dialect (v1: 400 / 404 for a remote 404 on location HEAD; v2 web-download: 400
 * `URI for web-download does not pass filtering: <uri>`; background jobs: image killed / task
 * failure). Messages never contain URL credentials, query strings or resolved addresses; the
 * `url` property is the redacted form (see {@link redactUrl}).
 */

/**
 * A URL safe to log or show: userinfo removed, query and fragment replaced by a marker (presigned
 * and temp URLs carry their credentials in the query). Unparseable input is not echoed at all.
 */
export function redactUrl(raw: string | URL): string {
  let url: URL;
  try {
    url = typeof raw === 'string' ? new URL(raw) : new URL(raw.href);
  } catch {
    return '<invalid URL>';
  }
  url.username = '';
  url.password = '';
  const hadQuery = url.search !== '';
  url.search = '';
  url.hash = '';
  // `file:`-like and opaque URLs keep their form; only the parts above are removed.
  return hadQuery ? `${url.href}?…` : url.href;
}

export abstract class FetchError extends Error {
  /** The redacted URL of the hop that failed (not necessarily the URL the caller passed). */
  readonly url: string;

  constructor(message: string, url: string, cause?: unknown) {
    super(message, cause !== undefined ? { cause } : undefined);
    this.name = new.target.name;
    this.url = url;
  }
}

export type RefusalReason =
  /** Not parseable as an absolute URL, or without a host. */
  | 'invalid-url'
  /** Scheme not in `allowedSchemes`. */
  | 'scheme'
  /** Effective port not in `allowedPorts`. */
  | 'port'
  /** A literal or resolved address is refused by the address policy. */
  | 'address';

/** The URL (or a redirect target) is refused by policy. Nothing was sent to that target. */
export class FetchRefusedError extends FetchError {
  readonly reason: RefusalReason;
  /** Extra detail for logs only (may name the resolved internal address); not part of `message`. */
  readonly detail: string | undefined;
  /** Number of redirects followed before the refused target (0 = the caller's URL). */
  readonly hop: number;

  constructor(reason: RefusalReason, message: string, url: string, opts: { detail?: string; hop?: number } = {}) {
    super(message, url);
    this.reason = reason;
    this.detail = opts.detail;
    this.hop = opts.hop ?? 0;
  }
}

export type FailureKind =
  /** The final response had a non-2xx, non-followed status (see `status`). */
  | 'status'
  /** A redirect without a usable Location, or a Location that is not a URL. */
  | 'redirect'
  /** More than `maxRedirects` redirects. */
  | 'too-many-redirects'
  /** Host name resolution failed or returned nothing. */
  | 'dns'
  /** Connection refused/reset, TLS failure, protocol error, premature close. */
  | 'network'
  /** Connect, headers, body-idle or total timeout (see `phase`). */
  | 'timeout'
  /** The body ended before the announced Content-Length. */
  | 'truncated';

export type TimeoutPhase = 'connect' | 'headers' | 'body' | 'total';

export class FetchFailedError extends FetchError {
  readonly kind: FailureKind;
  /** HTTP status for `status` / `redirect` / `too-many-redirects`, else null. */
  readonly status: number | null;
  readonly phase: TimeoutPhase | null;

  constructor(
    kind: FailureKind,
    message: string,
    url: string,
    opts: { status?: number; phase?: TimeoutPhase; cause?: unknown } = {},
  ) {
    super(message, url, opts.cause);
    this.kind = kind;
    this.status = opts.status ?? null;
    this.phase = opts.phase ?? null;
  }
}

/** The body is (or announces itself as) larger than `maxBytes`. */
export class FetchTooLargeError extends FetchError {
  readonly limit: number;
  /** The announced Content-Length, or the byte count reached when the limit was crossed. */
  readonly size: number;

  constructor(limit: number, size: number, url: string) {
    super(`Image data at ${url} exceeds the limit of ${limit} bytes`, url);
    this.limit = limit;
    this.size = size;
  }
}
