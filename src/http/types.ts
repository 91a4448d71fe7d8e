import type { HttpBindings } from '@hono/node-server';
import type { RequestContext } from '../core/context.js';

/** Hono environment shared by every route: the raw Node request/response and the caller. */
export interface GatewayEnv {
  Bindings: HttpBindings;
  Variables: {
    requestId: string;
    ctx: RequestContext;
    /** Which dialect answers this request's errors. */
    dialect: 'v1' | 'v2' | 'none';
    /** v1 only: the client family/version, for the request log line. */
    client?: string;
    /** Upstream mode: the request id the upstream answered with, for the request log line. */
    upstreamRequestId?: string;
  };
}
