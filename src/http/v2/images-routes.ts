import type { Hono } from 'hono';
import { requireObject } from '../json-body.js';
import { parseQueryString } from '../query-string.js';
import { mountResource } from '../resource.js';
import { empty, jsonText, param, readJson } from '../respond.js';
import type { GatewayEnv } from '../types.js';
import { baseUrlFrom } from '../versions.js';
import type { V2Deps } from './deps.js';
import { firstAndNextLinks, parseImageListQuery } from './list-query.js';
import { parsePatchBody, parsePatchContentType } from './patch-body.js';
import { makeImageJson, type ImageView } from './render.js';
import type { Image } from '../../core/image.js';
import type { RequestContext } from '../../core/context.js';

/** /v2/images, /v2/images/{id} and the deactivate/reactivate actions. */
export function mountImageRoutes(app: Hono<GatewayEnv>, deps: V2Deps): void {
  const { core, config } = deps;
  const view: ImageView = {
    multiStore: config.stores !== null,
    showMultipleLocations: config.showMultipleLocations,
    showImageDirectUrl: config.showImageDirectUrl,
    storeUrl: (store, id) => core.locationUrl?.(store, id) ?? null,
  };
  const json = makeImageJson(view);
  const locationsHidden = view.showMultipleLocations === true || view.showImageDirectUrl === true;
  // Glance shows a non-admin no locations of a deactivated image (its location proxy refuses).
  const imageJson = (image: Image, ctx: RequestContext): string =>
    json(image, locationsHidden && image.status === 'deactivated' && !ctx.isAdmin);

  mountResource(app, {
    path: '/v2/images',
    methods: {
      GET: async (c) => {
        const params = parseQueryString(c.env.incoming.url);
        const query = parseImageListQuery(params, {
          defaultLimit: config.limits.limitParamDefault,
          maxLimit: config.limits.apiLimitMax,
        });
        const page = await core.listImages(c.get('ctx'), query, c.req.raw.signal);
        const last = page.images.at(-1)?.id ?? null;
        const links = firstAndNextLinks(params, last, page.full && page.images.length > 0);
        // Assembled from the per-image JSON texts, in Glance's key order.
        const body =
          `{"images":[${page.images.map((i) => imageJson(i, c.get('ctx'))).join(',')}],"first":${JSON.stringify(links.first)},` +
          `"schema":"/v2/schemas/images"${links.next === undefined ? '' : `,"next":${JSON.stringify(links.next)}`}}`;
        return jsonText(c, 200, body);
      },
      POST: async (c) => {
        const input = requireObject(await readJson(c, config.limits));
        const image = await core.createImage(c.get('ctx'), input, c.req.raw.signal);
        const headers: Record<string, string> = {
          Location: `${baseUrlFrom(c.env.incoming.headers, config.publicEndpoint ?? undefined)}/v2/images/${image.id}`,
        };
        const methods = core.importMethods();
        if (methods.length > 0) headers['OpenStack-image-import-methods'] = methods.join(',');
        const stores = await core.listStores(c.get('ctx'), c.req.raw.signal);
        if (stores !== null) headers['OpenStack-image-store-ids'] = stores.map((s) => s.id).join(',');
        return jsonText(c, 201, imageJson(image, c.get('ctx')), headers);
      },
    },
  });

  mountResource(app, {
    path: '/v2/images/:id',
    bodyReject: ['GET', 'DELETE'],
    methods: {
      GET: async (c) => {
        const image = await core.getImage(c.get('ctx'), param(c, 'id'), c.req.raw.signal);
        return jsonText(c, 200, imageJson(image, c.get('ctx')));
      },
      PATCH: async (c) => {
        // The media type is checked before anything else, even for unknown ids (spec v2 §5.4.1).
        const dialect = parsePatchContentType(c.env.incoming.headers['content-type']);
        const ops = parsePatchBody(await readJson(c, config.limits), dialect);
        const image = await core.updateImage(c.get('ctx'), param(c, 'id'), ops, c.req.raw.signal);
        return jsonText(c, 200, imageJson(image, c.get('ctx')));
      },
      DELETE: async (c) => {
        await core.deleteImage(c.get('ctx'), param(c, 'id'), c.req.raw.signal);
        return empty(c, 204);
      },
    },
  });

  for (const action of ['deactivate', 'reactivate'] as const) {
    mountResource(app, {
      path: `/v2/images/:id/actions/${action}`,
      bodyReject: ['POST'],
      methods: {
        POST: async (c) => {
          const id = param(c, 'id');
          if (action === 'deactivate') await core.deactivateImage(c.get('ctx'), id, c.req.raw.signal);
          else await core.reactivateImage(c.get('ctx'), id, c.req.raw.signal);
          return empty(c, 204);
        },
      },
    });
  }
}
