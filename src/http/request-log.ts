import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { GatewayEnv } from './types.js';

const MAX_REQUEST_ID = 64;

/**
 * The request id Glance would use: an inbound X-Openstack-Request-ID is reused (prefixed
 * `req-` if needed); an over-long one is replaced, never echoed (spec v2 §1.3, quirk #8).
 */
export function requestIdFrom(inbound: string | undefined): { id: string; rejected: boolean } {
  if (inbound === undefined || inbound === '') return { id: `req-${randomUUID()}`, rejected: false };
  if (inbound.length > MAX_REQUEST_ID || !/^[\x21-\x7e]+$/.test(inbound)) {
    return { id: `req-${randomUUID()}`, rejected: true };
  }
  return { id: inbound.startsWith('req-') ? inbound : `req-${inbound}`, rejected: false };
}

/**
 * One JSON log line per request, written when the response is finished or the client went
 * away, keyed by the request id. Only chosen fields are logged: never headers, so never a token.
 */
export function requestLog(logger: Logger): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const started = process.hrtime.bigint();
    const { incoming, outgoing } = c.env;
    const inbound = incoming.headers['x-openstack-request-id'];
    const { id } = requestIdFrom(Array.isArray(inbound) ? inbound[0] : inbound);
    c.set('requestId', id);
    c.set('dialect', 'none');
    outgoing.once('close', () => {
      const ctx = c.get('ctx') as GatewayEnv['Variables']['ctx'] | undefined;
      logger.info(
        {
          request_id: c.get('requestId'),
          method: incoming.method,
          path: incoming.url,
          status: outgoing.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          project_id: ctx?.projectId ?? null,
          user_id: ctx?.userId ?? null,
          user_agent: incoming.headers['user-agent'] ?? null,
          ...(c.get('client') !== undefined ? { dialect: 'v1', client: c.get('client') } : {}),
          ...(c.get('upstreamRequestId') !== undefined ? { upstream_request_id: c.get('upstreamRequestId') } : {}),
          completed: outgoing.writableFinished,
        },
        'request',
      );
    });
    await next();
  };
}
