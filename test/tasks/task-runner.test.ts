import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TaskRunner } from '../../src/embedded/task-runner.js';

const logger = pino({ level: 'silent' });

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe('TaskRunner', () => {
  it('runs at most `concurrency` jobs at once, in arrival order', async () => {
    const runner = new TaskRunner(2, logger);
    const gates = [gate(), gate(), gate(), gate(), gate()];
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const finished: Promise<void>[] = [];
    gates.forEach((g, i) => {
      const done = gate();
      finished.push(done.opened);
      runner.enqueue(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await g.opened;
        running--;
        done.open();
      });
    });
    expect(started).toEqual([0, 1]);
    gates[1]!.open();
    await finished[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    await Promise.all(finished);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    await runner.close();
  });

  it('close() aborts running jobs, waits for them, and drops queued ones', async () => {
    const runner = new TaskRunner(1, logger);
    let aborted = false;
    let queuedRan = false;
    runner.enqueue(
      (signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            setTimeout(resolve, 20);
          });
        }),
    );
    runner.enqueue(async () => {
      queuedRan = true;
    });
    expect(runner.size).toBe(2);
    await runner.close();
    expect(aborted).toBe(true);
    expect(queuedRan).toBe(false);
    expect(runner.size).toBe(0);
    runner.enqueue(async () => {
      queuedRan = true;
    });
    expect(queuedRan).toBe(false);
  });

  it('a job that throws does not stop the runner', async () => {
    const runner = new TaskRunner(1, logger);
    const ran = gate();
    runner.enqueue(async () => {
      throw new Error('boom');
    });
    runner.enqueue(async () => ran.open());
    await ran.opened;
    await runner.close();
  });
});
