import type { Logger } from 'pino';

export type TaskJob = (signal: AbortSignal) => Promise<void>;

/**
 * Runs task jobs in this process, at most `concurrency` at a time, in arrival order. close()
 * aborts the running jobs (their I/O takes the runner's signal) and drops the queued ones,
 * which stay `pending` in the database and are failed by the next start-up recovery.
 */
export class TaskRunner {
  private readonly abort = new AbortController();
  private readonly queue: TaskJob[] = [];
  private readonly active = new Set<Promise<void>>();

  constructor(
    private readonly concurrency: number,
    private readonly logger: Logger,
  ) {}

  enqueue(job: TaskJob): void {
    if (this.abort.signal.aborted) return;
    this.queue.push(job);
    this.pump();
  }

  /** Jobs running or waiting (tests and health). */
  get size(): number {
    return this.active.size + this.queue.length;
  }

  async close(): Promise<void> {
    this.queue.length = 0;
    this.abort.abort(new Error('the service is shutting down'));
    await Promise.allSettled([...this.active]);
  }

  private pump(): void {
    while (this.active.size < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      const run = job(this.abort.signal).catch((err: unknown) => {
        // Jobs record their own failures; reaching here is a bug, not a task outcome.
        this.logger.error({ err }, 'task job crashed');
      });
      this.active.add(run);
      void run.finally(() => {
        this.active.delete(run);
        this.pump();
      });
    }
  }
}
