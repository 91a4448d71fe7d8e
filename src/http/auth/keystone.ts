import { hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { LRUCache } from 'lru-cache';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import type { RequestContext } from '../../core/context.js';
import { ClientAbortError, ServiceUnavailableError, UnauthorizedError } from '../../core/errors.js';
import type { Authenticator } from './authenticator.js';

/**
 * Keystone token validation, as keystonemiddleware's auth_token does in front of Glance:
 *
 * - The gateway holds a project-scoped **service token** (password auth, `POST {url}/auth/tokens`),
 *   renewed when less than `serviceTokenRenewMs` is left or once after a 401 from validation.
 *   Concurrent callers share one in-flight authentication.
 * - Each user token is validated with `GET {url}/auth/tokens` (`X-Auth-Token: <service token>`,
 *   `X-Subject-Token: <user token>`). 200 → context; 404/401 → invalid; expired → invalid.
 * - Results are cached in an LRU keyed by SHA-256(token) (the raw token is never a key), valid
 *   entries for min(token expiry − now, cacheTtlMs), invalid ones for invalidTtlMs. Concurrent
 *   misses for one token share one Keystone call.
 * - Keystone unreachable / timing out / 5xx / unexpected → 503, never an open door.
 * - Tokens never appear in error messages, causes or logs.
 */
export interface KeystoneAuthenticatorOptions {
  /** Identity v3 endpoint, e.g. `http://127.0.0.1:5000/v3`. */
  url: string;
  /** Service user credentials (the gateway's own account, needs the `service` or `admin` role). */
  username: string;
  password: string;
  /** Project (name) the service token is scoped to. */
  project: string;
  userDomain?: string;
  projectDomain?: string;
  /** Maximum number of cached validation results. Default 10000. */
  cacheSize?: number;
  /** Upper bound on how long a valid token is trusted without asking Keystone again. Default 300000. */
  cacheTtlMs?: number;
  /** How long an invalid token is remembered (so a flood of bad tokens costs one call each). Default 10000. */
  invalidTtlMs?: number;
  /** Timeout of every Keystone call (connect + headers + body). Default 5000. */
  timeoutMs?: number;
  /** Renew the service token when less than this is left. Default 60000. */
  serviceTokenRenewMs?: number;
  /**
   * Value of `uri` in `WWW-Authenticate: Keystone uri="…"` on 401s (keystonemiddleware's
   * `www_authenticate_uri`). Default: `url` without a trailing `/v3` (or `/v2.0`).
   */
  wwwAuthenticateUri?: string;
  /** Clock (ms since epoch) for tests; defaults to Date.now. Drives token expiry and cache TTLs. */
  now?: () => number;
  /** undici dispatcher for tests; defaults to a private keep-alive Agent. */
  dispatcher?: Dispatcher;
}

export interface KeystoneStats {
  /** HTTP calls made to Keystone (service-token authentications and validations). */
  keystoneCalls: number;
  cacheHits: number;
  cacheMisses: number;
}

/**
 * A validation result. Valid entries carry everything a context needs, precomputed (roles frozen,
 * shared by every request of the token), so a cache hit only builds one small object.
 */
type CacheEntry =
  | { valid: true; projectId: string | null; userId: string | null; roles: readonly string[]; isAdmin: boolean; expiresAt: number }
  | { valid: false; expiresAt: number };

interface ServiceToken {
  token: string;
  expiresAt: number;
}

/** 401 text: Glance sends WebOb's class default explanation (spec v2 §1.2). */
const UNAUTHORIZED_MESSAGE =
  'This server could not verify that you are authorized to access the document you requested. ' +
  'Either you supplied the wrong credentials (e.g., bad password), or your browser does not ' +
  'understand how to supply the credentials required.';
/** keystonemiddleware's wording for its own 503. */
const UNAVAILABLE_MESSAGE = 'The Keystone service is temporarily unavailable.';

/** Printable ASCII without spaces; anything else cannot be a Keystone token (fernet/JWS/uuid). */
const TOKEN_SHAPE = /^[\x21-\x7e]+$/;
const MAX_TOKEN_LENGTH = 16 * 1024;

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)?.trim() || undefined;

/** One-shot hash (no Hash object per call: this runs on every authenticated request). */
export function hashToken(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** Internal failure reason: becomes a 503 whose cause names what went wrong (never a token). */
class KeystoneFailure extends Error {
  override name = 'KeystoneFailure';
}

export class KeystoneAuthenticator implements Authenticator {
  readonly mode = 'keystone';

  readonly #url: string;
  readonly #username: string;
  readonly #password: string;
  readonly #project: string;
  readonly #userDomain: string;
  readonly #projectDomain: string;
  readonly #cacheTtlMs: number;
  readonly #invalidTtlMs: number;
  readonly #timeoutMs: number;
  readonly #renewMs: number;
  readonly #now: () => number;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #unauthorizedHeaders: Record<string, string>;
  readonly #cache: LRUCache<string, CacheEntry>;
  readonly #inflight = new Map<string, Promise<CacheEntry>>();
  #serviceToken: ServiceToken | null = null;
  #serviceTokenInflight: Promise<ServiceToken> | null = null;
  readonly #stats: KeystoneStats = { keystoneCalls: 0, cacheHits: 0, cacheMisses: 0 };

  constructor(options: KeystoneAuthenticatorOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new Error(`keystone: invalid identity url ${JSON.stringify(options.url)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new Error(`keystone: identity url must be http(s), got ${parsed.protocol}`);
    }
    for (const key of ['username', 'password', 'project'] as const) {
      if (typeof options[key] !== 'string' || options[key] === '') throw new Error(`keystone: ${key} is required`);
    }
    this.#url = options.url.replace(/\/+$/, '');
    this.#username = options.username;
    this.#password = options.password;
    this.#project = options.project;
    this.#userDomain = options.userDomain ?? 'Default';
    this.#projectDomain = options.projectDomain ?? 'Default';
    this.#cacheTtlMs = positive('cacheTtlMs', options.cacheTtlMs ?? 300_000);
    this.#invalidTtlMs = positive('invalidTtlMs', options.invalidTtlMs ?? 10_000);
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs ?? 5_000);
    this.#renewMs = options.serviceTokenRenewMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Agent({
        connect: { timeout: this.#timeoutMs },
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        keepAliveTimeout: 30_000,
      });
    const wwwUri = options.wwwAuthenticateUri ?? this.#url.replace(/\/v(3|2\.0)$/, '');
    this.#unauthorizedHeaders = { 'WWW-Authenticate': `Keystone uri="${wwwUri}"` };
    // No lru-cache TTL: every entry carries its own deadline (the sooner of the token's expiry
    // and the cache TTL), checked on each hit with one clock read; a stale entry is replaced on
    // its next miss or evicted by count.
    this.#cache = new LRUCache<string, CacheEntry>({ max: positive('cacheSize', options.cacheSize ?? 10_000) });
  }

  stats(): KeystoneStats {
    return { ...this.#stats };
  }

  /** Drops every cached validation (e.g. on SIGHUP). */
  clearCache(): void {
    this.#cache.clear();
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async authenticate(headers: IncomingHttpHeaders, requestId: string, signal: AbortSignal): Promise<RequestContext> {
    if (signal.aborted) throw new ClientAbortError();
    const token = first(headers['x-auth-token']);
    if (token === undefined) throw this.#unauthorized('missing_token');
    if (token.length > MAX_TOKEN_LENGTH) throw this.#unauthorized('invalid_token');

    // Hot path (a cache hit): one hash, one map lookup, one clock read, one object. Only
    // well-shaped tokens are ever cached, so the shape check can wait for a miss. The explicit
    // deadline check also covers a token whose own expiry is sooner than the cache TTL.
    const key = hashToken(token);
    let entry = this.#cache.get(key);
    if (entry !== undefined && entry.expiresAt > this.#now()) {
      this.#stats.cacheHits++;
    } else {
      if (!TOKEN_SHAPE.test(token)) throw this.#unauthorized('invalid_token');
      this.#stats.cacheMisses++;
      let pending = this.#inflight.get(key);
      if (pending === undefined) {
        pending = this.#validate(token, key).finally(() => this.#inflight.delete(key));
        this.#inflight.set(key, pending);
      }
      entry = await raceAbort(pending, signal);
    }
    if (!entry.valid) throw this.#unauthorized('invalid_token');
    return {
      projectId: entry.projectId,
      userId: entry.userId,
      roles: entry.roles as string[],
      isAdmin: entry.isAdmin,
      requestId,
      readOnly: false,
      authToken: token,
    };
  }

  #unauthorized(reason: string): UnauthorizedError {
    return new UnauthorizedError(UNAUTHORIZED_MESSAGE, { reason, headers: { ...this.#unauthorizedHeaders } });
  }

  /** One Keystone validation (shared by every concurrent caller of this token); caches the result. */
  async #validate(token: string, key: string): Promise<CacheEntry> {
    let entry: CacheEntry;
    try {
      entry = await this.#validateRemote(token);
    } catch (err) {
      throw unavailable(err);
    }
    const now = this.#now();
    const ttl = entry.valid ? Math.min(entry.expiresAt - now, this.#cacheTtlMs) : this.#invalidTtlMs;
    const stored: CacheEntry = entry.valid ? { ...entry, expiresAt: now + ttl } : { valid: false, expiresAt: now + ttl };
    if (ttl > 0) this.#cache.set(key, stored);
    return stored;
  }

  async #validateRemote(token: string): Promise<CacheEntry> {
    for (let attempt = 0; ; attempt++) {
      const service = await this.#getServiceToken();
      const res = await this.#call('GET', '/auth/tokens', {
        'x-auth-token': service.token,
        'x-subject-token': token,
        accept: 'application/json',
      });
      if (res.status === 401 && attempt === 0) {
        // Our service token was revoked or expired early: renew once and retry.
        if (this.#serviceToken === service) this.#serviceToken = null;
        continue;
      }
      if (res.status === 404 || res.status === 401) return { valid: false, expiresAt: 0 };
      if (res.status !== 200) {
        throw new KeystoneFailure(`token validation answered HTTP ${res.status}`);
      }
      return this.#parseValidation(res.body);
    }
  }

  #parseValidation(body: unknown): CacheEntry {
    const t = isObject(body) ? body.token : undefined;
    if (!isObject(t)) throw new KeystoneFailure('token validation answered without a token object');
    const expiresAt = parseExpiry(t.expires_at);
    if (expiresAt === undefined) throw new KeystoneFailure('token validation answered without a valid expires_at');
    if (expiresAt <= this.#now()) return { valid: false, expiresAt: 0 };
    const user = isObject(t.user) ? t.user : undefined;
    const userId = typeof user?.id === 'string' ? user.id : null;
    if (userId === null) throw new KeystoneFailure('token validation answered without user.id');
    const project = isObject(t.project) ? t.project : undefined;
    const projectId = typeof project?.id === 'string' ? project.id : null;
    const roles = Array.isArray(t.roles)
      ? t.roles
          .map((r) => (isObject(r) && typeof r.name === 'string' ? r.name.toLowerCase() : undefined))
          .filter((r): r is string => r !== undefined && r !== '')
      : [];
    return { valid: true, projectId, userId, roles: Object.freeze(roles), isAdmin: roles.includes('admin'), expiresAt };
  }

  /** The current service token, renewing it (once for all concurrent callers) when it is near expiry. */
  #getServiceToken(): Promise<ServiceToken> {
    const current = this.#serviceToken;
    if (current !== null && current.expiresAt - this.#now() > this.#renewMs) return Promise.resolve(current);
    if (this.#serviceTokenInflight === null) {
      this.#serviceTokenInflight = this.#authenticateService().then(
        (t) => {
          this.#serviceToken = t;
          this.#serviceTokenInflight = null;
          return t;
        },
        (err: unknown) => {
          this.#serviceTokenInflight = null;
          throw err;
        },
      );
    }
    return this.#serviceTokenInflight;
  }

  async #authenticateService(): Promise<ServiceToken> {
    const body = {
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: { name: this.#username, domain: { name: this.#userDomain }, password: this.#password },
          },
        },
        scope: { project: { name: this.#project, domain: { name: this.#projectDomain } } },
      },
    };
    const res = await this.#call(
      'POST',
      '/auth/tokens',
      { 'content-type': 'application/json', accept: 'application/json' },
      JSON.stringify(body),
    );
    if (res.status === 401 || res.status === 403) {
      throw new KeystoneFailure(`service credentials rejected (HTTP ${res.status}); check the gateway's keystone user/project`);
    }
    if (res.status !== 201 && res.status !== 200) {
      throw new KeystoneFailure(`service authentication answered HTTP ${res.status}`);
    }
    const token = res.subjectToken;
    if (token === undefined || token === '') throw new KeystoneFailure('service authentication answered without X-Subject-Token');
    const t = isObject(res.body) ? res.body.token : undefined;
    const expiresAt = isObject(t) ? parseExpiry(t.expires_at) : undefined;
    if (expiresAt === undefined) throw new KeystoneFailure('service authentication answered without a valid expires_at');
    return { token, expiresAt };
  }

  /** One HTTP call to Keystone with a hard timeout; network errors become KeystoneFailure (no headers, no tokens). */
  async #call(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; body: unknown; subjectToken: string | undefined }> {
    this.#stats.keystoneCalls++;
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const res = await request(this.#url + path, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal,
        dispatcher: this.#dispatcher,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      let parsed: unknown = undefined;
      if (res.statusCode === 200 || res.statusCode === 201) {
        const text = await res.body.text();
        try {
          parsed = JSON.parse(text) as unknown;
        } catch {
          throw new KeystoneFailure(`${method} ${path} answered HTTP ${res.statusCode} with a body that is not JSON`);
        }
      } else {
        await res.body.dump();
      }
      const subject = res.headers['x-subject-token'];
      return { status: res.statusCode, body: parsed, subjectToken: Array.isArray(subject) ? subject[0] : subject };
    } catch (err) {
      if (err instanceof KeystoneFailure) throw err;
      if (signal.aborted) throw new KeystoneFailure(`${method} ${path} timed out after ${this.#timeoutMs} ms`);
      throw new KeystoneFailure(`${method} ${path} failed: ${describe(err)}`);
    }
  }
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`keystone: ${name} must be a positive number, got ${v}`);
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseExpiry(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Network error summary: the error's code and message (undici's never include request headers). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown error';
  const code = (err as { code?: unknown }).code;
  const inner = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${typeof code === 'string' ? `${code} ` : ''}${err.message}${inner}`;
}

function unavailable(err: unknown): ServiceUnavailableError {
  const detail = err instanceof KeystoneFailure ? err : new KeystoneFailure(describe(err));
  return new ServiceUnavailableError(UNAVAILABLE_MESSAGE, { reason: 'keystone_unavailable', cause: detail });
}

/** Waits for a shared promise, giving up (for this caller only) when its request is aborted. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new ClientAbortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new ClientAbortError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
}
