import type { Hono } from 'hono';
import { CoreError } from '../../core/errors.js';
import type { Task, TaskCore } from '../../core/task.js';
import { requireObject } from '../json-body.js';
import { parseQueryString } from '../query-string.js';
import { mountResource } from '../resource.js';
import { json, param, readJson } from '../respond.js';
import type { GatewayEnv } from '../types.js';
import { baseUrlFrom } from '../versions.js';
import type { V2Deps } from './deps.js';
import { firstAndNextLinks } from './list-query.js';
import { v2Time } from './render.js';
import { parseTaskListQuery } from './task-query.js';
import { SCHEMAS } from './schemas/schema-documents.js';

/**
 * Glance's task schemas with `export` added to the type enum, byte for byte otherwise:
 * glanceclient validates every listed task against /v2/schemas/tasks, so with the verbatim enum
 * a single export task made `glance task-list` fail (as regenerating the format enums, §11).
 */
export const TASK_SCHEMAS: Record<'task' | 'tasks', string> = {
  task: withExportType(SCHEMAS.task!),
  tasks: withExportType(SCHEMAS.tasks!),
};

function withExportType(doc: string): string {
  const from = '"enum": ["import", "api_image_import"]';
  if (!doc.includes(from)) throw new Error('task schema: type enum not found');
  return doc.replace(from, '"enum": ["import", "api_image_import", "export"]');
}

const NOT_DELETABLE =
  'This operation is currently not permitted on Glance Tasks. They are auto deleted after reaching the time based on their expires_at property.';

/** A 405 that carries its own explanation (MethodNotAllowedError renders the generic one). */
class TaskNotDeletableError extends CoreError {
  readonly status = 405;
}

/** /v2/tasks and /v2/tasks/{id} (spec v2 §10). */
export function mountTaskRoutes(app: Hono<GatewayEnv>, deps: V2Deps & { tasks: TaskCore }): void {
  const { tasks, config } = deps;

  for (const name of ['task', 'tasks'] as const) {
    mountResource(app, {
      path: `/v2/schemas/${name}`,
      methods: {
        GET: (c) =>
          new Response(TASK_SCHEMAS[name], {
            status: 200,
            headers: { 'Content-Type': 'application/json', 'x-openstack-request-id': c.get('requestId') },
          }),
      },
    });
  }

  mountResource(app, {
    path: '/v2/tasks',
    methods: {
      GET: async (c) => {
        const params = parseQueryString(c.env.incoming.url);
        const query = parseTaskListQuery(params, { defaultLimit: config.limits.limitParamDefault, maxLimit: config.limits.apiLimitMax });
        const page = await tasks.listTasks(c.get('ctx'), query, c.req.raw.signal);
        const links = firstAndNextLinks(params, page.tasks.at(-1)?.id ?? null, page.full, '/v2/tasks');
        return json(c, 200, {
          tasks: page.tasks.map(renderTaskStub),
          first: links.first,
          schema: '/v2/schemas/tasks',
          ...(links.next !== undefined ? { next: links.next } : {}),
        });
      },
      POST: async (c) => {
        const body = requireObject(await readJson(c, config.limits));
        const task = await tasks.createTask(c.get('ctx'), body, c.req.raw.signal);
        const location = `${baseUrlFrom(c.env.incoming.headers, config.publicEndpoint ?? undefined)}/v2/tasks/${task.id}`;
        return json(c, 201, renderTask(task), { Location: location });
      },
    },
  });

  mountResource(app, {
    path: '/v2/tasks/:id',
    allow: 'GET',
    methods: {
      GET: async (c) => json(c, 200, renderTask(await tasks.getTask(c.get('ctx'), param(c, 'id'), c.req.raw.signal))),
      DELETE: () => {
        throw new TaskNotDeletableError(NOT_DELETABLE, { headers: { Allow: 'GET' } });
      },
    },
  });
}

/** Full task in Glance's key order; image_id, request_id, user_id, expires_at only when set. */
export function renderTask(t: Task): Record<string, unknown> {
  return {
    id: t.id,
    input: t.input,
    type: t.type,
    status: t.status,
    owner: t.owner,
    message: t.message,
    result: t.result,
    created_at: v2Time(t.created_at),
    updated_at: v2Time(t.updated_at),
    self: `/v2/tasks/${t.id}`,
    schema: '/v2/schemas/task',
    ...(t.image_id !== null ? { image_id: t.image_id } : {}),
    ...(t.request_id !== null ? { request_id: t.request_id } : {}),
    ...(t.user_id !== null ? { user_id: t.user_id } : {}),
    ...(t.expires_at !== null ? { expires_at: v2Time(t.expires_at) } : {}),
  };
}

/** List entries carry no input, result or message (spec v2 §10.2). */
export function renderTaskStub(t: Task): Record<string, unknown> {
  return {
    id: t.id,
    type: t.type,
    status: t.status,
    owner: t.owner,
    created_at: v2Time(t.created_at),
    updated_at: v2Time(t.updated_at),
    self: `/v2/tasks/${t.id}`,
    schema: '/v2/schemas/task',
    ...(t.expires_at !== null ? { expires_at: v2Time(t.expires_at) } : {}),
  };
}
