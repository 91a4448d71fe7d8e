import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/config.js';
import type { RequestContext } from '../core/context.js';
import { isRetryable, statusToCoreError, transportToCoreError } from './errors.js';

export type UpstreamMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface UpstreamRequest {
  method: UpstreamMethod;
  /** Path and query, starting with `/` (the upstream URL's own path is prefixed). */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable | null;
  signal: AbortSignal;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Dispatcher.ResponseData['body'];
}

/** Token of this gateway in `Via` headers: requests carrying it have looped back to us. */
export const VIA_TOKEN = 'glance-gateway';

/**
 * The one connection pool to the upstream Glance, shared by the core and the v2 proxy.
 * Knows how to speak for a caller (token or trusted context headers) and how to turn
 * transport failures into core errors. Every response body is the caller's to consume.
 */
export class UpstreamClient {
  readonly pool: Pool;
  readonly origin: string;
  readonly basePath: string;
  /** `1.1 glance-gateway-<port>`: unique per instance so two gateways in a chain are told apart. */
  readonly viaValue: string;
  private readonly retries: number;

  constructor(config: UpstreamConfig, readonly instanceId: string) {
    const url = new URL(config.url!);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.retries = config.retries;
    this.viaValue = `1.1 ${VIA_TOKEN}-${instanceId}`;
    const read = (f: string | undefined): Buffer | undefined => (f === undefined ? undefined : readFileSync(f));
    this.pool = new Pool(this.origin, {
      connections: config.connections,
      headersTimeout: config.headersTimeoutMs,
      bodyTimeout: config.bodyTimeoutMs,
      connect: {
        timeout: config.connectTimeoutMs,
        ...(url.protocol === 'https:'
          ? {
              rejectUnauthorized: config.tls.rejectUnauthorized,
              ...(config.tls.caFile !== undefined ? { ca: read(config.tls.caFile) } : {}),
              ...(config.tls.certFile !== undefined ? { cert: read(config.tls.certFile), key: read(config.tls.keyFile) } : {}),
            }
          : {}),
      },
    });
  }

  /**
   * Sends one request. Connection failures of idempotent requests without a body are retried;
   * transport errors become core errors (503/504/502). HTTP error statuses are returned as is.
   */
  async send(req: UpstreamRequest, what: string): Promise<UpstreamResponse> {
    const idempotent = (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') && (req.body ?? null) === null;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.pool.request({
          method: req.method,
          path: this.basePath + req.path,
          headers: { via: this.viaValue, ...req.headers },
          body: req.body ?? null,
          signal: req.signal,
        });
        return { status: res.statusCode, headers: res.headers, body: res.body };
      } catch (e) {
        if (idempotent && attempt < this.retries && isRetryable(e) && !req.signal.aborted) continue;
        throw transportToCoreError(e, req.signal, what);
      }
    }
  }

  /** A JSON call on the caller's behalf: error statuses throw typed core errors, bodies are always consumed. */
  async json<T>(ctx: RequestContext, req: Omit<UpstreamRequest, 'headers'> & { headers?: Record<string, string> }, what: string): Promise<{ status: number; body: T | null; headers: IncomingHttpHeaders }> {
    const res = await this.send({ ...req, headers: { ...callerHeaders(ctx), accept: 'application/json', ...req.headers } }, what);
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      throw transportToCoreError(e, req.signal, what);
    }
    if (res.status >= 400) throw statusToCoreError(res.status, text, what);
    if (res.status === 204 || text === '') return { status: res.status, body: null, headers: res.headers };
    try {
      return { status: res.status, body: JSON.parse(text) as T, headers: res.headers };
    } catch (e) {
      throw transportToCoreError(e instanceof SyntaxError ? e : new SyntaxError(String(e)), req.signal, what);
    }
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => this.pool.destroy());
  }
}

export const ANONYMOUS_PROJECT = 'anonymous';

/**
 * Who the upstream should think is calling: the caller's token when there is one (the upstream's
 * keystonemiddleware validates it and drops any context headers), and the context headers Glance's
 * context middleware reads, for an upstream behind a trusting proxy (noauth).
 */
export function callerHeaders(ctx: RequestContext): Record<string, string> {
  const h: Record<string, string> = {
    'x-identity-status': 'Confirmed',
    'x-roles': ctx.roles.join(','),
  };
  // Correlates both logs; an id the upstream would refuse (over 64 characters) is left out.
  if (ctx.requestId.length <= 64) h['x-openstack-request-id'] = ctx.requestId;
  if (ctx.authToken !== undefined) h['x-auth-token'] = ctx.authToken;
  // A trusting upstream treats a request without a project as its admin (Glance's noauth, the
  // reference shim): a non-admin caller without one is sent as the project `anonymous` instead.
  const project = ctx.projectId ?? (ctx.isAdmin ? null : ANONYMOUS_PROJECT);
  if (project !== null) {
    h['x-project-id'] = project;
    h['x-tenant-id'] = project;
  }
  if (ctx.userId !== null) h['x-user-id'] = ctx.userId;
  if (ctx.isAdmin && !ctx.roles.includes('admin')) h['x-roles'] = [...ctx.roles, 'admin'].join(',');
  return h;
}

/** Reads an upstream body to the end and drops it (keeps the connection reusable). */
export async function drain(res: UpstreamResponse): Promise<void> {
  await res.body.dump().catch(() => undefined);
}
