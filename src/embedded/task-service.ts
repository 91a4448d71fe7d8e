import { randomUUID } from 'node:crypto';
import type { ContainerStore } from '../containers/container-store.js';
import type { RequestContext } from '../core/context.js';
import type { ImageCore } from '../core/core.js';
import { BadRequestError, CoreError, NotFoundError } from '../core/errors.js';
import type { Task, TaskCore, TaskCreateInput, TaskPage, TaskQuery } from '../core/task.js';
import { checkTaskBody, type CheckedTask } from '../core/task-rules.js';
import { FetchRefusedError } from '../fetch/errors.js';
import type { EmbeddedDeps } from './deps.js';
import { fetchErrorToCore } from './fetch-errors.js';
import { runExport, runImport, TaskFailure, type TaskJobDeps } from './task-jobs.js';
import type { TaskRunner } from './task-runner.js';

export interface TaskServiceOptions {
  /** Glance `[task] task_time_to_live`, in ms: finished tasks expire this long after finishing. */
  timeToLiveMs: number;
  /** How often expired tasks are purged besides at list time. */
  purgeEveryMs: number;
}

/**
 * The tasks API of the embedded core (spec v2 §10): rows in the tasks table, jobs on the
 * in-process runner. Jobs act through the ImageCore with the creator's context, so a task can
 * do nothing its creator could not do by hand.
 */
export class EmbeddedTaskCore implements TaskCore {
  private readonly purgeTimer: NodeJS.Timeout;

  constructor(
    private readonly deps: EmbeddedDeps,
    private readonly core: ImageCore,
    private readonly containers: ContainerStore,
    private readonly runner: TaskRunner,
    private readonly options: TaskServiceOptions,
  ) {
    this.purgeTimer = setInterval(() => this.purge(), options.purgeEveryMs).unref();
  }

  async createTask(ctx: RequestContext, body: TaskCreateInput, signal: AbortSignal): Promise<Task> {
    const d = this.deps;
    d.policy.enforce('tasks_api_access', ctx);
    d.policy.enforce('add_task', ctx);
    d.policy.assertWritable(ctx);
    const checked = checkTaskBody(body);
    if (checked.source?.kind === 'url') await this.checkUrl(checked.source.url, signal);
    signal.throwIfAborted();
    const now = d.now();
    // An import's image_id is set only once the task has made its image: start-up recovery
    // deletes the image of an interrupted import, so it must never name someone else's image
    // (Glance would copy `input.image_id` here).
    const imageId = checked.type === 'export' ? String(checked.input.image_uuid) : null;
    const task = {
      id: randomUUID(),
      type: checked.type,
      status: 'pending' as const,
      owner: ctx.projectId,
      image_id: imageId,
      user_id: ctx.userId,
      request_id: ctx.requestId,
      input: (body.input ?? null) as Record<string, unknown> | null,
      created_at: now,
    };
    d.tasks.insert(task);
    // The job keeps the creator's context: it runs with exactly the creator's rights.
    const created = d.tasks.get(task.id)!;
    const { authToken: _token, ...jobCtx } = ctx;
    this.runner.enqueue((runSignal) => this.run(task.id, jobCtx, checked, runSignal));
    return created;
  }

  async getTask(ctx: RequestContext, id: string, signal: AbortSignal): Promise<Task> {
    this.deps.policy.enforce('tasks_api_access', ctx);
    this.deps.policy.enforce('get_task', ctx);
    signal.throwIfAborted();
    const task = this.visible(ctx, id);
    if (task === undefined) throw new NotFoundError(`Could not find task ${id}`);
    return task;
  }

  async listTasks(ctx: RequestContext, query: TaskQuery, signal: AbortSignal): Promise<TaskPage> {
    const d = this.deps;
    d.policy.enforce('tasks_api_access', ctx);
    d.policy.enforce('get_tasks', ctx);
    signal.throwIfAborted();
    this.purge();
    let marker: Task | null = null;
    if (query.marker !== null) {
      marker = this.visible(ctx, query.marker) ?? null;
      if (marker === null) throw new BadRequestError(`Invalid marker. Task ${query.marker} could not be found.`);
    }
    const tasks = d.tasks.list(query, ctx.isAdmin ? undefined : ctx.projectId, marker);
    return { tasks, full: query.limit > 0 && tasks.length === query.limit };
  }

  async close(): Promise<void> {
    clearInterval(this.purgeTimer);
    await this.runner.close();
  }

  /** Soft-deletes expired tasks; resolves how many. */
  purge(): number {
    return this.deps.tasks.purgeExpired(this.deps.now());
  }

  private visible(ctx: RequestContext, id: string): Task | undefined {
    const task = this.deps.tasks.get(id);
    if (task === undefined || task.deleted) return undefined;
    if (task.expires_at !== null && task.expires_at <= this.deps.now()) return undefined;
    if (!ctx.isAdmin && task.owner !== ctx.projectId) return undefined;
    return task;
  }

  /** Glance filters the legacy import URL at creation: a refusal is a 400, not a failed task. */
  private async checkUrl(url: string, signal: AbortSignal): Promise<void> {
    try {
      await this.deps.fetcher.check(url, signal);
    } catch (e) {
      if (e instanceof FetchRefusedError) throw new BadRequestError(`URI for legacy import task does not pass filtering: ${e.url}`);
      throw fetchErrorToCore(e, url);
    }
  }

  private async run(id: string, ctx: RequestContext, checked: CheckedTask, signal: AbortSignal): Promise<void> {
    const d = this.deps;
    if (signal.aborted) return;
    d.tasks.setStatus(id, 'processing', '', d.now());
    const jobDeps: TaskJobDeps = {
      core: this.core,
      containers: this.containers,
      fetcher: d.fetcher,
      diskFormats: d.formats.disk,
      setImage: (imageId) => d.tasks.setImage(id, imageId, d.now()),
    };
    let result: Record<string, unknown> | null = null;
    let message = '';
    try {
      result =
        checked.type === 'export'
          ? await runExport(jobDeps, ctx, checked.input, signal)
          : await runImport(jobDeps, ctx, checked.input, checked.source!, signal);
    } catch (e) {
      message = signal.aborted ? 'Task was interrupted by a shutdown of the service' : failureMessage(e);
      if (message === INTERNAL) d.logger.error({ err: e, task_id: id }, 'task failed unexpectedly');
    }
    const now = d.now();
    d.tasks.finish(id, result === null ? 'failure' : 'success', result, message, now, now + this.options.timeToLiveMs);
  }
}

const INTERNAL = 'Task failed due to Internal Error';

function failureMessage(e: unknown): string {
  if (e instanceof TaskFailure) return e.message;
  const mapped = fetchErrorToCore(e, '');
  if (mapped instanceof CoreError) return mapped.message;
  return INTERNAL;
}
