import type { Hono } from 'hono';
import { NotFoundError } from '../../core/errors.js';
import type { Task } from '../../core/task.js';
import { mountResource } from '../resource.js';
import { json, param } from '../respond.js';
import type { GatewayEnv } from '../types.js';
import type { V2Deps } from './deps.js';
import { METADEF_SCHEMAS, SCHEMAS } from './schemas/schema-documents.js';

/** Schemas, /v2/info/* and the per-image task list. */
export function mountDiscoveryRoutes(app: Hono<GatewayEnv>, deps: V2Deps): void {
  const { core } = deps;

  for (const name of ['image', 'images', 'member', 'members', 'task', 'tasks']) {
    const body = SCHEMAS[name]!;
    mountResource(app, {
      path: `/v2/schemas/${name}`,
      bodyReject: name.startsWith('task') ? [] : ['GET'],
      methods: { GET: (c) => schemaResponse(c.get('requestId'), body) },
    });
  }
  for (const [name, body] of Object.entries(METADEF_SCHEMAS)) {
    mountResource(app, {
      path: `/v2/schemas/metadefs/${name}`,
      bodyReject: ['GET'],
      methods: { GET: (c) => schemaResponse(c.get('requestId'), body) },
    });
  }

  mountResource(app, {
    path: '/v2/info/import',
    bodyReject: ['GET'],
    methods: {
      GET: (c) =>
        json(c, 200, {
          'import-methods': { description: 'Import methods available.', type: 'array', value: core.importMethods() },
        }),
    },
  });

  for (const detail of [false, true]) {
    mountResource(app, {
      path: detail ? '/v2/info/stores/detail' : '/v2/info/stores',
      bodyReject: ['GET'],
      methods: {
        GET: async (c) => {
          const stores = await core.listStores(c.get('ctx'), c.req.raw.signal, { detail });
          if (stores === null) throw new NotFoundError('Multi backend is not supported at this site.');
          return json(c, 200, {
            stores: stores.map((s) => ({
              id: s.id,
              ...(s.description !== undefined ? { description: s.description } : {}),
              // Glance emits the strings "true", not booleans (spec v2 §15 #12).
              ...(s.default === true ? { default: 'true' } : {}),
              ...(s.readOnly === true ? { 'read-only': 'true' } : {}),
              ...(detail ? { type: s.type, properties: s.properties } : {}),
            })),
          });
        },
      },
    });
  }

  app.get('/v2/info/usage', async (c) => json(c, 200, { usage: await core.getUsage(c.get('ctx'), c.req.raw.signal) }));

  app.get('/v2/images/:id/tasks', async (c) => {
    const tasks = await core.listImageTasks(c.get('ctx'), param(c, 'id'), c.req.raw.signal);
    return json(c, 200, { tasks: tasks.map(rawTask) });
  });
}

function schemaResponse(requestId: string, body: string): Response {
  return new Response(body, {
    status: 200,
    headers: { 'Content-Type': 'application/json', 'x-openstack-request-id': requestId },
  });
}

/** /v2/images/{id}/tasks returns raw DB rows with microsecond times and no Z (spec v2 §5.7). */
function rawTask(t: Task): Record<string, unknown> {
  const time = (ms: number | null): string | null =>
    ms === null ? null : new Date(ms).toISOString().slice(0, 23).replace(/(\.\d{3})$/, '$1000');
  return {
    id: t.id,
    type: t.type,
    status: t.status,
    owner: t.owner,
    expires_at: time(t.expires_at),
    created_at: time(t.created_at),
    updated_at: time(t.updated_at),
    deleted_at: time(t.deleted_at),
    deleted: t.deleted,
    image_id: t.image_id,
    request_id: t.request_id,
    user_id: t.user_id,
    input: t.input,
    result: t.result,
    message: t.message,
  };
}
