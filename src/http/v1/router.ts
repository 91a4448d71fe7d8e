import type { Hono } from 'hono';
import { ForbiddenError, MethodNotAllowedError } from '../../core/errors.js';
import { json } from '../respond.js';
import type { GatewayEnv } from '../types.js';
import type { V1Deps } from './deps.js';
import { mountV1MemberRoutes } from './members-routes.js';
import { mountV1ReadRoutes } from './read-routes.js';
import { mountV1WriteRoutes } from './write-routes.js';

const V1_ALLOW: Array<[string, string]> = [
  ['/v1/images', 'GET, POST'],
  ['/v1/images/detail', 'GET, HEAD'],
  ['/v1/images/:id', 'GET, HEAD, PUT, DELETE'],
  ['/v1/images/:id/members', 'GET, PUT'],
  ['/v1/images/:id/members/:member', 'GET, PUT, DELETE'],
];

const IMAGE_LABELS = new Map(['HEAD', 'GET', 'PUT', 'DELETE'].map((m) => [m, `${m} /v1/images/{id}`]));

/** The route a v1 request hit, with ids replaced, for the migration telemetry. */
export function v1RouteLabel(method: string, path: string): string {
  // The monitoring hot path, HEAD /v1/images/{id}, without splitting the path.
  if (path.startsWith('/v1/images/') && path.indexOf('/', 11) === -1 && path !== '/v1/images/detail') {
    return IMAGE_LABELS.get(method) ?? `${method} /v1/images/{id}`;
  }
  const parts = path.split('/');
  const label = parts.map((p, i) => {
    const before = parts[i - 1];
    if (before === 'images' && p !== 'detail') return '{id}';
    if (before === 'members' || before === 'shared-images') return '{member}';
    return p;
  });
  return `${method} ${label.join('/')}`;
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** The v1 dialect: telemetry, then the routes, which only call the core. */
export function mountV1(app: Hono<GatewayEnv>, deps: V1Deps): void {
  app.use('/v1/*', async (c, next) => {
    const req = c.env.incoming;
    const { family, version } = deps.usage.record(
      req.headers['user-agent'],
      v1RouteLabel(req.method ?? 'GET', pathOf(req.url ?? '')),
      c.get('ctx').projectId,
    );
    c.set('client', version === null ? family : `${family}/${version}`);
    await next();
  });
  mountV1ReadRoutes(app, deps);
  mountV1WriteRoutes(app, deps);
  mountV1MemberRoutes(app, deps);
  // Other methods on known paths: 405 with the Allow header of v1's router (spec v1 §1.1).
  for (const [path, allow] of V1_ALLOW) {
    app.all(path, () => {
      throw new MethodNotAllowedError('', { headers: { Allow: allow } });
    });
  }

  app.get('/v1-usage', (c) => {
    if (!c.get('ctx').isAdmin) throw new ForbiddenError('You are not authorized to see the v1 usage report.');
    return json(c, 200, deps.usage.report());
  });
}
