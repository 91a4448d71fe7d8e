import { Hono, type Context } from 'hono';
import { getPath as defaultGetPath } from 'hono/utils/url';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { ImageCore } from '../core/core.js';
import { BadRequestError, NotFoundError, NotImplementedError, UriTooLongError } from '../core/errors.js';
import type { Authenticator } from './auth/authenticator.js';
import { requestIdFrom, requestLog } from './request-log.js';
import { ROUTABLE_METHODS } from './resource.js';
import type { GatewayEnv } from './types.js';
import { mountDataRoutes } from './v2/data-routes.js';
import { mountDiscoveryRoutes } from './v2/discovery-routes.js';
import { v2ErrorResponse } from './v2/error-response.js';
import { mountImageRoutes } from './v2/images-routes.js';
import { mountSharingRoutes } from './v2/sharing-routes.js';
import { v1ErrorResponse } from './v1/error-response.js';
import { mountV1 } from './v1/router.js';
import { V1Usage } from './v1/usage.js';
import { baseUrlFrom, negotiate, versionsDocument, type VersionFeatures } from './versions.js';

export interface HttpAppDeps {
  core: ImageCore;
  config: Config;
  logger: Logger;
  authenticator: Authenticator;
  /** Upstream mode: `/v2/*` is a passthrough to the upstream Glance instead of the local v2 routes. */
  upstream?: {
    /** `negotiated`: the path was rewritten from the Accept header, which must not negotiate again upstream. */
    proxy: (c: Context<GatewayEnv>, path: string, negotiated: boolean) => Promise<Response>;
    /** True when the request already passed through this gateway (answered 508). */
    looped: (c: Context<GatewayEnv>) => boolean;
  };
}

/** Negotiated paths that answer with the versions document, never reaching a dialect. */
const VERSIONS_PATH = { 200: '/_versions/200', 300: '/_versions/300' } as const;

/**
 * The HTTP front: version negotiation (as a path rewrite, so routes see `/v2/...`),
 * healthcheck, request logging, authentication, then the dialects' routes.
 */
export function buildHttpApp(deps: HttpAppDeps): Hono<GatewayEnv> {
  const { core, config, logger, authenticator } = deps;
  const features: VersionFeatures = { v1: config.v1, multiStore: config.stores !== null, cache: false };
  const usage = new V1Usage();

  const routedPath = (req: Request): string => {
    const path = defaultGetPath(req);
    if (path === '/healthcheck' || path === '/v1-usage') return path;
    const n = negotiate(req.method, path, req.headers.get('accept') ?? undefined, features);
    return n.kind === 'versions' ? VERSIONS_PATH[n.status] : n.path;
  };
  const app = new Hono<GatewayEnv>({ getPath: routedPath });

  app.use('*', requestLog(logger));
  const upstream = deps.upstream;
  if (upstream !== undefined) {
    // Before anything else: a request that came back to us (healthcheck included) must not recurse.
    app.use('*', async (c, next) => {
      if (upstream.looped(c)) {
        return new Response('508 Loop Detected\n\nThe request has already passed through this gateway.\n', {
          status: 508,
          headers: { 'Content-Type': 'text/plain; charset=UTF-8', 'x-openstack-request-id': c.get('requestId') },
        });
      }
      await next();
    });
  }

  app.all('/healthcheck', async (c) => {
    const health = await core.health(c.req.raw.signal);
    return new Response(c.env.incoming.method === 'HEAD' ? null : health.detail, {
      status: health.ok ? 200 : 503,
      headers: { 'Content-Type': 'text/plain; charset=UTF-8' },
    });
  });
  for (const status of [200, 300] as const) {
    app.all(VERSIONS_PATH[status], (c) => {
      const doc = versionsDocument(baseUrlFrom(c.env.incoming.headers, config.publicEndpoint ?? undefined), features);
      return new Response(c.env.incoming.method === 'HEAD' ? null : JSON.stringify(doc), {
        status,
        headers: { 'Content-Type': 'application/json' },
      });
    });
  }

  app.use('/v2/*', async (c, next) => {
    c.set('dialect', 'v2');
    await next();
  });
  app.use('/v2', async (c, next) => {
    c.set('dialect', 'v2');
    await next();
  });
  app.use('/v1/*', async (c, next) => {
    c.set('dialect', 'v1');
    await next();
  });

  app.use('*', async (c, next) => {
    const req = c.env.incoming;
    if ((req.url ?? '').length > config.limits.maxUrlLength) {
      throw new UriTooLongError(`The request URL is longer than ${config.limits.maxUrlLength} characters.`);
    }
    if (req.rawHeaders.length / 2 > config.limits.maxHeaderCount) {
      throw new BadRequestError(`Too many headers: at most ${config.limits.maxHeaderCount} are allowed.`);
    }
    const inbound = req.headers['x-openstack-request-id'];
    if (requestIdFrom(Array.isArray(inbound) ? inbound[0] : inbound).rejected) {
      throw new BadRequestError('The X-Openstack-Request-ID header must be at most 64 printable characters.');
    }
    c.set('ctx', await authenticator.authenticate(req.headers, c.get('requestId'), c.req.raw.signal));
    await next();
  });

  // Exactly `/v2` redirects to the API root; `/v2/` itself has no resource (spec v2 §2.3 step 4).
  app.all('/v2', (c) =>
    new Response(null, {
      status: 302,
      headers: {
        Location: `${baseUrlFrom(c.env.incoming.headers, config.publicEndpoint ?? undefined)}/v2/`,
        'Content-Type': 'text/plain; charset=utf8',
        'x-openstack-request-id': c.get('requestId'),
      },
    }),
  );

  if (upstream !== undefined) {
    app.all('/v2/*', (c) => {
      // Forward the path as the client encoded it, unless negotiation rewrote it.
      const routed = routedPath(c.req.raw);
      const raw = (c.env.incoming.url ?? '').split('?')[0]!;
      const rewritten = defaultGetPath(c.req.raw) !== routed;
      return upstream.proxy(c, rewritten ? encodeURI(routed) : raw, rewritten);
    });
  } else {
    const v2 = { core, config, logger };
    mountImageRoutes(app, v2);
    mountDataRoutes(app, v2);
    mountSharingRoutes(app, v2);
    mountDiscoveryRoutes(app, v2);
  }
  if (config.v1) mountV1(app, { core, config, logger, usage });

  const errorResponse = (err: unknown, c: Context<GatewayEnv>): Response =>
    c.get('dialect') === 'v1' ? v1ErrorResponse(err, c, logger) : v2ErrorResponse(err, c, logger);
  app.notFound((c) => errorResponse(ROUTABLE_METHODS.has(c.env.incoming.method ?? '') ? new NotFoundError('') : new NotImplementedError(''), c));
  app.onError((err, c) => errorResponse(err, c));
  return app;
}
