import { pipeline } from 'node:stream/promises';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context, Hono } from 'hono';
import type { UploadOptions } from '../../core/core.js';
import { BadRequestError, NotFoundError, UnsupportedMediaTypeError } from '../../core/errors.js';
import { requireObject } from '../json-body.js';
import { parseRangeHeaders } from '../range.js';
import { mountResource } from '../resource.js';
import { empty, header, param, readJson } from '../respond.js';
import type { GatewayEnv } from '../types.js';
import type { V2Deps } from './deps.js';

/** Image bytes: PUT/GET /file, PUT /stage, POST /import. */
export function mountDataRoutes(app: Hono<GatewayEnv>, deps: V2Deps): void {
  const { core, config } = deps;

  mountResource(app, {
    path: '/v2/images/:id/file',
    bodyReject: ['GET'],
    allow: 'GET, PUT',
    methods: {
      PUT: async (c) => {
        const opts = uploadOptions(c);
        await core.uploadImageData(c.get('ctx'), param(c, 'id'), c.env.incoming, opts, c.req.raw.signal);
        return empty(c, 204);
      },
      GET: async (c) => {
        const range = parseRangeHeaders(header(c, 'range'), header(c, 'content-range'));
        const data = await core.openImageData(c.get('ctx'), param(c, 'id'), range, c.req.raw.signal);
        if (data === null) return empty(c, 204);
        const res = c.env.outgoing;
        const headers: Record<string, string | number> = {
          'Content-Type': 'application/octet-stream',
          'Content-Length': data.length,
          'x-openstack-request-id': c.get('requestId'),
        };
        if (data.image.checksum !== null) headers['Content-MD5'] = data.image.checksum;
        if (data.range !== null) headers['Content-Range'] = `bytes ${data.range.start}-${data.range.end}/${data.size}`;
        res.writeHead(data.range === null ? 200 : 206, headers);
        // Straight from the store's file stream to the socket, with backpressure; a client that
        // goes away destroys the file stream through pipeline.
        await pipeline(data.stream, res).catch((err: unknown) => {
          deps.logger.warn({ err, request_id: c.get('requestId') }, 'download interrupted');
          res.destroy();
        });
        return RESPONSE_ALREADY_SENT;
      },
    },
  });

  mountResource(app, {
    path: '/v2/stores/:store/:id',
    bodyReject: ['DELETE'],
    methods: {
      DELETE: async (c) => {
        await core.deleteImageFromStore(c.get('ctx'), param(c, 'id'), param(c, 'store'), c.req.raw.signal);
        return empty(c, 204);
      },
    },
  });

  mountResource(app, {
    path: '/v2/images/:id/stage',
    methods: {
      PUT: async (c) => {
        if (!core.importMethods().includes('glance-direct')) {
          throw new NotFoundError("'glance-direct' method is not available at this site.");
        }
        const opts = uploadOptions(c);
        await core.stageImageData(c.get('ctx'), param(c, 'id'), c.env.incoming, opts, c.req.raw.signal);
        return empty(c, 204);
      },
    },
  });

  mountResource(app, {
    path: '/v2/images/:id/import',
    methods: {
      POST: async (c) => {
        const body = requireObject(await readJson(c, config.limits));
        const method = body.method;
        if (method === undefined || method === null) throw new BadRequestError("Import request requires a 'method' field.");
        if (typeof method !== 'object' || Array.isArray(method) || !('name' in method) || typeof method.name !== 'string') {
          throw new BadRequestError("Import request requires a 'name' field.");
        }
        const stores = body.stores;
        if (stores !== undefined && (!Array.isArray(stores) || !stores.every((s) => typeof s === 'string'))) {
          throw new BadRequestError("'stores' must be a list of store identifiers");
        }
        const storeHeader = header(c, 'x-image-meta-store');
        await core.importImage(
          c.get('ctx'),
          param(c, 'id'),
          {
            method: method as { name: string },
            ...(stores !== undefined ? { stores: stores as string[] } : {}),
            ...(body.all_stores !== undefined ? { all_stores: body.all_stores as boolean } : {}),
            ...(body.all_stores_must_succeed !== undefined ? { all_stores_must_succeed: body.all_stores_must_succeed as boolean } : {}),
            ...(storeHeader !== undefined ? { storeHeader } : {}),
          },
          c.req.raw.signal,
        );
        return empty(c, 202);
      },
    },
  });
}

/** Content-Type must be octet-stream (parameters ignored); else 415 before anything else. */
function uploadOptions(c: Context<GatewayEnv>): UploadOptions {
  const type = header(c, 'content-type');
  if (type === undefined || type.split(';')[0]!.trim().toLowerCase() !== 'application/octet-stream') {
    throw new UnsupportedMediaTypeError('');
  }
  const opts: UploadOptions = {};
  const store = header(c, 'x-image-meta-store');
  if (store !== undefined) opts.storeId = store;
  const length = header(c, 'content-length');
  if (length !== undefined && /^\d+$/.test(length)) opts.contentLength = Number(length);
  return opts;
}
