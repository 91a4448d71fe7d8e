/** `GET /v2/tasks` query string → TaskQuery (spec v2 §10.2), with Glance's 400 messages. */
import { BadRequestError } from '../../core/errors.js';
import { TASK_SORT_KEYS, TASK_STATUSES, TASK_TYPES, type TaskQuery, type TaskSortKey } from '../../core/task.js';
import { parsePythonInt, type ListLimits } from './list-query.js';

const UUID_LIKE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
const EQUALITY = ['owner', 'image_id', 'user_id', 'request_id'] as const;

export function parseTaskListQuery(params: URLSearchParams, limits: ListLimits): TaskQuery {
  const bad = (m: string) => new BadRequestError(m);
  const rawLimit = params.get('limit');
  let limit = limits.defaultLimit;
  if (rawLimit !== null) {
    const n = parsePythonInt(rawLimit);
    if (n === null) throw bad('limit param must be an integer');
    if (n < 0) throw bad('limit param must be positive');
    limit = n;
  }
  limit = Math.min(limit, limits.maxLimit);
  const marker = params.get('marker');
  if (marker !== null && !UUID_LIKE.test(marker)) throw bad('Invalid marker format');
  const sortKey = params.get('sort_key') ?? 'created_at';
  if (!(TASK_SORT_KEYS as readonly string[]).includes(sortKey)) throw bad('Sort key supplied was not valid.');
  const sortDir = params.get('sort_dir') ?? 'desc';
  if (sortDir !== 'asc' && sortDir !== 'desc') throw bad(`Invalid sort direction: ${sortDir}`);
  const filters: TaskQuery['filters'] = {};
  const status = params.get('status');
  if (status !== null) {
    if (!(TASK_STATUSES as readonly string[]).includes(status)) throw bad(`Invalid status value: ${status}`);
    filters.status = status;
  }
  const type = params.get('type');
  if (type !== null) {
    if (!(TASK_TYPES as readonly string[]).includes(type)) throw bad(`Invalid type value: ${type}`);
    filters.type = type;
  }
  for (const key of EQUALITY) {
    const v = params.get(key);
    if (v !== null) filters[key] = v;
  }
  return { filters, sortKey: sortKey as TaskSortKey, sortDir, limit, marker };
}
