import type { RequestContext } from './context.js';

export type TaskStatus = 'pending' | 'processing' | 'success' | 'failure';

export interface Task {
  id: string;
  type: string;
  status: TaskStatus;
  owner: string | null;
  image_id: string | null;
  user_id: string | null;
  request_id: string | null;
  input: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  message: string;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  deleted: boolean;
  deleted_at: number | null;
}

/** Task types the tasks API accepts: Glance's `import`, plus the Rackspace-style `export`. */
export const TASK_TYPES = ['import', 'export'] as const;
export type TaskType = (typeof TASK_TYPES)[number];
export const TASK_STATUSES: readonly TaskStatus[] = ['pending', 'processing', 'success', 'failure'];

/** Columns a task list may be sorted by (spec v2 §10.2: any task column). */
export const TASK_SORT_KEYS = [
  'id', 'type', 'status', 'owner', 'image_id', 'user_id', 'request_id', 'message', 'created_at', 'updated_at', 'expires_at',
] as const;
export type TaskSortKey = (typeof TASK_SORT_KEYS)[number];

export interface TaskQuery {
  /** Equality filters on columns (type, status, owner, image_id, ...). */
  filters: Partial<Record<'type' | 'status' | 'owner' | 'image_id' | 'user_id' | 'request_id', string>>;
  sortKey: TaskSortKey;
  sortDir: 'asc' | 'desc';
  limit: number;
  marker: string | null;
}

export interface TaskPage {
  tasks: Task[];
  /** The page holds `limit` tasks, so a `next` link is due. */
  full: boolean;
}

/** The JSON object `POST /v2/tasks` carries (`type`, `input`; the core checks the rest). */
export type TaskCreateInput = Record<string, unknown>;

/**
 * The tasks API (spec v2 §10): asynchronous import and export jobs. Implemented by the embedded
 * side (src/embedded/task-service.ts); routes call only this.
 */
export interface TaskCore {
  createTask(ctx: RequestContext, body: TaskCreateInput, signal: AbortSignal): Promise<Task>;
  getTask(ctx: RequestContext, id: string, signal: AbortSignal): Promise<Task>;
  listTasks(ctx: RequestContext, query: TaskQuery, signal: AbortSignal): Promise<TaskPage>;
  close(): Promise<void>;
}
