import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import type { ImageCore } from './core/core.js';
import { createEmbeddedCore } from './embedded/create.js';
import { buildHttpApp, type HttpAppDeps } from './http/app.js';
import type { Authenticator } from './http/auth/authenticator.js';
import { KeystoneAuthenticator } from './http/auth/keystone.js';
import { NoAuthAuthenticator } from './http/auth/noauth.js';
import { StaticTokenAuthenticator } from './http/auth/static-tokens.js';
import { createUpstreamCore } from './upstream/create.js';
import { hasLooped, makeV2Proxy } from './upstream/proxy.js';

export interface Gateway {
  server: Server;
  core: ImageCore;
  authenticator: Authenticator;
  /** The port actually bound (config port 0 picks a free one). */
  port: number;
  /** Stops accepting, lets in-flight requests finish until the deadline, then closes the core. */
  close(): Promise<void>;
}

/**
 * The composition root: everything is built here from the config, nothing is a module
 * singleton. The entry file (main.ts) and the tests call this.
 */
export async function startGateway(config: Config, logger: Logger): Promise<Gateway> {
  const { core, upstream } = await buildCore(config, logger);
  const authenticator = buildAuthenticator(config, logger);
  const app = buildHttpApp({ core, config, logger, authenticator, ...(upstream !== undefined ? { upstream } : {}) });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: headAsGet(app.fetch), hostname: config.host, port: config.port }, () => resolve(s as Server)) as Server;
    s.once('error', reject);
  });
  // Node drops headers past maxHeadersCount silently; one more lets the app see and refuse them.
  server.maxHeadersCount = config.limits.maxHeaderCount + 1;
  server.requestTimeout = 0; // image uploads may legitimately take hours
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info({ host: config.host, port, mode: config.mode, auth: authenticator.mode }, 'glance-gateway listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections that finish their request while we drain become idle keep-alives; close
      // them as they appear instead of waiting for the keep-alive timeout.
      const reaper = setInterval(() => server.closeIdleConnections(), 50);
      void drained.finally(() => clearInterval(reaper));
      const deadline = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs).unref());
      if ((await Promise.race([drained, deadline])) === 'timeout') {
        logger.warn('shutdown deadline reached; closing remaining connections');
        server.closeAllConnections();
        clearInterval(reaper);
      }
      await core.close();
      await authenticator.close?.();
      logger.info('glance-gateway stopped');
    })());
  return { server, core, authenticator, port, close };
}

async function buildCore(config: Config, logger: Logger): Promise<{ core: ImageCore; upstream?: NonNullable<HttpAppDeps['upstream']> }> {
  if (config.mode === 'upstream') {
    const { core, client, cache } = createUpstreamCore(config, logger);
    logger.info({ upstream: config.upstream.url, via: client.viaValue }, 'upstream core ready');
    const proxy = makeV2Proxy({ client, cache, logger, publicEndpoint: config.publicEndpoint });
    return { core, upstream: { proxy, looped: (c) => hasLooped(c.env.incoming.headers.via, client) } };
  }
  const startup = new AbortController();
  const { core, recovery } = await createEmbeddedCore(config, logger, startup.signal);
  logger.info({ recovery }, 'embedded core ready');
  return { core };
}

/**
 * Hono answers HEAD by running the GET route and copying its Response into a new one, which
 * costs a WHATWG Headers object per request; v1's HEAD is a monitoring hot path. So HEAD is
 * routed as GET here, and routes that care read the real method from the Node request
 * (c.env.incoming.method). Node itself never sends a body in answer to HEAD.
 */
function headAsGet<F extends (req: Request, ...rest: never[]) => unknown>(fetch: F): F {
  return ((req: Request, ...rest: never[]) => {
    if (req.method !== 'HEAD') return fetch(req, ...rest);
    const asGet = new Proxy(req, {
      get: (target, prop) => {
        if (prop === 'method') return 'GET';
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    return fetch(asGet, ...rest);
  }) as F;
}

function buildAuthenticator(config: Config, logger: Logger): Authenticator {
  switch (config.auth.mode) {
    case 'noauth':
      logger.warn(
        { default_project: config.auth.noauthProject },
        'AUTHENTICATION IS DISABLED (noauth): callers choose their project and roles with X-Project-Id/X-Roles, and requests without them run as admin. Use only behind a trusted proxy or for testing.',
      );
      return new NoAuthAuthenticator(config.auth.noauthProject);
    case 'keystone': {
      const ks = config.auth.keystone!;
      logger.info({ keystone: ks.url, project: ks.project, user: ks.username }, 'validating tokens with Keystone');
      return new KeystoneAuthenticator({
        url: ks.url,
        username: ks.username,
        password: ks.password,
        project: ks.project,
        userDomain: ks.userDomain,
        projectDomain: ks.projectDomain,
        cacheTtlMs: ks.cacheTtlMs,
        timeoutMs: ks.timeoutMs,
      });
    }
    case 'static': {
      const auth = new StaticTokenAuthenticator(config.auth.tokensFile!);
      logger.info({ tokens_file: config.auth.tokensFile, tokens: auth.size }, 'static tokens loaded');
      return auth;
    }
  }
}
