import { pipeline } from 'node:stream/promises';
import type { Context, Hono } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Logger } from 'pino';
import type { ContainerCore } from '../../core/container.js';
import { BadRequestError, ClientAbortError, CoreError } from '../../core/errors.js';
import { mountResource } from '../resource.js';
import { empty, header, json, param } from '../respond.js';
import type { GatewayEnv } from '../types.js';

/**
 * `/containers[/{container}[/{object}]]`: a Swift-like object API in the caller's project,
 * where import tasks read from and export tasks write to.
 */
export function mountContainerRoutes(app: Hono<GatewayEnv>, containers: ContainerCore): void {
  mountResource(app, {
    path: '/containers',
    methods: {
      GET: async (c) => json(c, 200, await containers.listContainers(c.get('ctx'), c.req.raw.signal)),
    },
  });

  mountResource(app, {
    path: '/containers/:container',
    methods: {
      GET: async (c) => {
        const objects = await containers.listObjects(c.get('ctx'), param(c, 'container'), c.req.raw.signal);
        return json(c, 200, objects.map((o) => ({ name: o.name, bytes: o.bytes, last_modified: new Date(o.last_modified).toISOString() })));
      },
      PUT: async (c) => {
        const created = await containers.createContainer(c.get('ctx'), param(c, 'container'), c.req.raw.signal);
        return empty(c, created ? 201 : 202);
      },
      DELETE: async (c) => {
        await containers.deleteContainer(c.get('ctx'), param(c, 'container'), c.req.raw.signal);
        return empty(c, 204);
      },
    },
  });

  mountResource(app, {
    path: '/containers/:container/:object',
    methods: {
      GET: async (c) => {
        const { stream, info } = await containers.openObject(c.get('ctx'), param(c, 'container'), param(c, 'object'), c.req.raw.signal);
        const res = c.env.outgoing;
        res.writeHead(200, objectHeaders(c, info.bytes, info.last_modified));
        // File stream to socket with backpressure; a vanished client destroys the file stream.
        await pipeline(stream, res).catch(() => res.destroy());
        return RESPONSE_ALREADY_SENT;
      },
      HEAD: async (c) => {
        const info = await containers.headObject(c.get('ctx'), param(c, 'container'), param(c, 'object'), c.req.raw.signal);
        return new Response(null, { status: 200, headers: objectHeaders(c, info.bytes, info.last_modified) });
      },
      PUT: async (c) => {
        const raw = header(c, 'content-length');
        const length = raw === undefined ? undefined : Number(raw);
        if (length !== undefined && !Number.isSafeInteger(length)) throw new BadRequestError('Invalid Content-Length.');
        const put = await containers.putObject(c.get('ctx'), param(c, 'container'), param(c, 'object'), c.env.incoming, c.req.raw.signal, length);
        return json(c, 201, { name: put.name, bytes: put.bytes, hash: put.md5 }, { ETag: put.md5 });
      },
      DELETE: async (c) => {
        await containers.deleteObject(c.get('ctx'), param(c, 'container'), param(c, 'object'), c.req.raw.signal);
        return empty(c, 204);
      },
    },
  });
}

function objectHeaders(c: Context<GatewayEnv>, bytes: number, mtime: number): Record<string, string> {
  return {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(bytes),
    'Last-Modified': new Date(mtime).toUTCString(),
    'x-openstack-request-id': c.get('requestId'),
  };
}

/** Container errors are always JSON: `{"error": {"code", "title", "message"}}`. */
export function containerErrorResponse(err: unknown, c: Context<GatewayEnv>, logger: Logger): Response {
  if (err instanceof ClientAbortError) return new Response(null, { status: 400 });
  let status = 500;
  let message = 'The server has either erred or is incapable of performing the requested operation.';
  let headers: Record<string, string> = {};
  if (err instanceof CoreError) {
    status = err.status;
    message = err.message;
    headers = err.headers;
  } else if ((err as { name?: string } | null)?.name === 'AbortError' && c.req.raw.signal.aborted) {
    return new Response(null, { status: 400 });
  } else {
    logger.error({ err, request_id: c.get('requestId') }, 'unhandled error');
  }
  const body = JSON.stringify({ error: { code: status, title: TITLES[status] ?? 'Error', message } });
  const out: Record<string, string> = { ...headers, 'Content-Type': 'application/json', 'x-openstack-request-id': c.get('requestId') };
  if (!c.env.incoming.readableEnded && status === 413) out.Connection = 'close';
  return new Response(c.env.incoming.method === 'HEAD' ? null : body, { status, headers: out });
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
