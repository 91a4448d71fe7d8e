import { pipeline } from 'node:stream/promises';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context, Hono } from 'hono';
import { ForbiddenError, NotFoundError } from '../../core/errors.js';
import type { Image } from '../../core/image.js';
import { parseQueryString } from '../query-string.js';
import { json, param } from '../respond.js';
import type { GatewayEnv } from '../types.js';
import type { V1Deps } from './deps.js';
import { parseV1ListQuery } from './list-query.js';
import { imageToV1, v1IndexItem, v1MetaHeaders, v1Status } from './render.js';

/** GET /v1/images[/detail], HEAD and GET /v1/images/{id}, and the SDK's GET .../file. */
export function mountV1ReadRoutes(app: Hono<GatewayEnv>, deps: V1Deps): void {
  const { core, config } = deps;
  // Images are never mutated (a change is a new object), so an object's headers are fixed.
  const memo = new WeakMap<Image, Array<[string, string]>>();
  const headerList = (image: Image): Array<[string, string]> => {
    let list = memo.get(image);
    if (list === undefined) {
      list = v1MetaHeaders(image);
      memo.set(image, list);
    }
    return list;
  };
  // HEAD's whole header block per Image object, flat as Node's writeHead takes it; the last
  // slot is the request id, filled in a copy per request.
  const headMemo = new WeakMap<Image, string[]>();
  const headHeaders = (image: Image, requestId: string): string[] => {
    let flat = headMemo.get(image);
    if (flat === undefined) {
      flat = [...headerList(image).flat(), 'Content-Length', '0', 'x-openstack-request-id', ''];
      headMemo.set(image, flat);
    }
    const copy = flat.slice();
    copy[copy.length - 1] = requestId;
    return copy;
  };
  const metaHeaders = (c: Context<GatewayEnv>, image: Image): Headers => {
    const headers = new Headers(headerList(image));
    headers.set('x-openstack-request-id', c.get('requestId'));
    return headers;
  };
  const limits = { defaultLimit: config.limits.limitParamDefault, maxLimit: config.limits.apiLimitMax };

  const list = (detail: boolean) => async (c: Context<GatewayEnv>) => {
    const { query } = parseV1ListQuery(parseQueryString(c.env.incoming.url), c.get('ctx'), limits);
    const page = await core.listImages(c.get('ctx'), query, c.req.raw.signal);
    return json(c, 200, { images: page.images.map((i) => (detail ? imageToV1(i) : v1IndexItem(i))) });
  };
  app.get('/v1/images', list(false));
  // Real v1 routed any method on `/v1/` to the index (spec v1 §3.1 [Q]).
  app.all('/v1/', list(false));
  app.get('/v1/images/detail', (c) => {
    if (c.env.incoming.method === 'HEAD') return methodNotAllowed(c, 'GET');
    return list(true)(c);
  });

  const imageWithData = async (c: Context<GatewayEnv>): Promise<Response> => {
    const ctx = c.get('ctx');
    const id = param(c, 'id');
    if (c.env.incoming.method === 'HEAD') {
      // Admins see deleted images here, as v1 did (tempest's deletion waiter accepts it).
      const image = await core.getImage(ctx, id, c.req.raw.signal, { includeDeleted: true });
      // HEAD is the hot path of monitoring: its header block is built once per Image object and
      // written straight to Node. As v1's WebOb answered: an explicit empty length, which also
      // spares clients that do not special-case HEAD from waiting for a body.
      c.env.outgoing.writeHead(200, headHeaders(image, c.get('requestId')));
      c.env.outgoing.end();
      return RESPONSE_ALREADY_SENT;
    }
    const image = await core.getImage(ctx, id, c.req.raw.signal);
    if (image.status === 'deactivated') throw new ForbiddenError(`Image ${id} is deactivated`);
    if (v1Status(image) !== 'active') throw new NotFoundError(`Image ${id} is not active`);
    const res = c.env.outgoing;
    const headers = metaHeaders(c, image);
    headers.set('Content-Type', 'application/octet-stream');
    if (image.checksum !== null) headers.set('Content-MD5', image.checksum);
    const data = image.size === 0 ? null : await core.openImageData(ctx, id, null, c.req.raw.signal);
    headers.set('Content-Length', String(data?.length ?? 0));
    res.writeHead(200, [...headers.entries()].flat());
    if (data === null) {
      res.end();
      return RESPONSE_ALREADY_SENT;
    }
    // If the store delivers fewer bytes than announced, the connection is cut, as v1 did.
    await pipeline(data.stream, res).catch((err: unknown) => {
      deps.logger.warn({ err, request_id: c.get('requestId') }, 'download interrupted');
      res.destroy();
    });
    return RESPONSE_ALREADY_SENT;
  };
  app.get('/v1/images/:id', imageWithData);
  // Compatibility extension for openstacksdk's image v1 download (spec v1 §8.4 (c)).
  app.get('/v1/images/:id/file', (c) => (c.env.incoming.method === 'HEAD' ? methodNotAllowed(c, 'GET') : imageWithData(c)));
}

function methodNotAllowed(c: Context<GatewayEnv>, allow: string): Response {
  return new Response(null, { status: 405, headers: { Allow: allow, 'x-openstack-request-id': c.get('requestId') } });
}
