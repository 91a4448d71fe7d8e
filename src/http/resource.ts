import type { IncomingMessage } from 'node:http';
import type { Context, Hono } from 'hono';
import { BadRequestError, MethodNotAllowedError } from '../core/errors.js';
import type { GatewayEnv } from './types.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Handler = (c: Context<GatewayEnv>) => Promise<Response> | Response;

/** Methods Glance's router knows: a route miss with one of these is 404, anything else 501. */
export const ROUTABLE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH']);

export interface ResourceSpec {
  path: string;
  methods: Partial<Record<Method, Handler>>;
  /** Methods that must not carry a body (Glance's body_reject routes). */
  bodyReject?: Method[];
  /** The Allow header, when it differs from the registered methods (spec v2 §1.7). */
  allow?: string;
}

const BODY_ENCODINGS = new Set(['chunked', 'compress', 'deflate', 'gzip', 'identity']);

/** Glance's notion of "this request has a body" (spec v2 §1.1 step 4). */
export function requestHasBody(req: IncomingMessage): boolean {
  const length = Number(req.headers['content-length'] ?? '0');
  if (length > 0) return true;
  if (!['POST', 'PUT', 'PATCH'].includes(req.method ?? '')) return false;
  const te = req.headers['transfer-encoding']?.toLowerCase();
  return te !== undefined && BODY_ENCODINGS.has(te);
}

/**
 * Registers a resource: one handler per method, 405 with the Allow header for the other
 * routable methods, and 400 for a body where none is expected. Hono answers HEAD with the
 * GET handler; Glance does not, so HEAD is refused unless the resource declares it.
 */
export function mountResource(app: Hono<GatewayEnv>, spec: ResourceSpec): void {
  const allow = spec.allow ?? (Object.keys(spec.methods) as Method[]).filter((m) => m !== 'HEAD').join(', ');
  const reject = new Set(spec.bodyReject ?? []);
  for (const [method, handler] of Object.entries(spec.methods) as Array<[Method, Handler]>) {
    if (method === 'HEAD') continue;
    app.on(method, spec.path, (c) => {
      const actual = c.env.incoming.method as Method;
      if (actual === 'HEAD' && spec.methods.HEAD === undefined) {
        throw new MethodNotAllowedError('', { headers: { Allow: allow } });
      }
      if (reject.has(actual) && requestHasBody(c.env.incoming)) {
        throw new BadRequestError('A body is not expected with this request.');
      }
      return (actual === 'HEAD' ? spec.methods.HEAD! : handler)(c);
    });
  }
  app.all(spec.path, () => {
    throw new MethodNotAllowedError('', { headers: { Allow: allow } });
  });
}
