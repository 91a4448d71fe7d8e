import { createHash, randomBytes } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import { HashPool, type HashJob } from '../../src/store/hash-pool.js';

const live = (): AbortSignal => new AbortController().signal;
const sha512 = (...parts: Buffer[]): string => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

async function feed(job: HashJob, parts: Buffer[]): Promise<void> {
  for (const p of parts) {
    const wait = job.write(p);
    if (wait !== undefined) await wait;
  }
}

/** Runs `body` with a fresh pool and always closes it. */
async function withPool(options: ConstructorParameters<typeof HashPool>[0], body: (pool: HashPool) => Promise<void>) {
  const pool = new HashPool(options);
  try {
    await body(pool);
  } finally {
    await pool.close();
  }
}

describe('HashPool', () => {
  it('hashes chunks of every size through a small ring, never exceeding its bound', async () => {
    await withPool({ size: 1, maxInFlightBytes: 4096 }, async (pool) => {
      const sizes = [1, 4095, 4096, 4097, 10_000, 3, 1024, 1023, 70_000, 2];
      const parts = sizes.map((n) => randomBytes(n));
      const job = await pool.start(live());
      // Reusing the caller's buffer after write() must not change what gets hashed.
      const scratch = Buffer.alloc(70_000);
      const expected: Buffer[] = [];
      for (const p of parts) {
        p.copy(scratch);
        expected.push(Buffer.from(p));
        const wait = job.write(scratch.subarray(0, p.length));
        if (wait !== undefined) await wait;
        scratch.fill(0xee);
      }
      expect(await job.digest()).toBe(sha512(...expected));
      expect(job.peakInFlightBytes).toBeGreaterThan(0);
      expect(job.peakInFlightBytes).toBeLessThanOrEqual(4096);
    });
  });

  it('hashes the empty input', async () => {
    await withPool({ size: 1 }, async (pool) => {
      const job = await pool.start(live());
      expect(await job.digest()).toBe(sha512());
    });
  });

  it('reuses one worker for consecutive jobs', async () => {
    const created: Worker[] = [];
    await withPool({ size: 4, onWorker: (w) => created.push(w) }, async (pool) => {
      for (let i = 0; i < 5; i++) {
        const data = randomBytes(50_000 + i);
        const job = await pool.start(live());
        await feed(job, [data]);
        expect(await job.digest()).toBe(sha512(data));
      }
      expect(created).toHaveLength(1);
    });
  });

  it('queues jobs beyond `size` until a worker is free', async () => {
    await withPool({ size: 1 }, async (pool) => {
      const first = await pool.start(live());
      let secondStarted = false;
      const second = pool.start(live()).then((j) => {
        secondStarted = true;
        return j;
      });
      await new Promise((r) => setTimeout(r, 30));
      expect(secondStarted).toBe(false);
      await feed(first, [Buffer.from('one')]);
      expect(await first.digest()).toBe(sha512(Buffer.from('one')));
      const job = await second;
      await feed(job, [Buffer.from('two')]);
      expect(await job.digest()).toBe(sha512(Buffer.from('two')));
    });
  });

  it('a queued start rejects with the signal reason and never takes a worker', async () => {
    await withPool({ size: 1 }, async (pool) => {
      const first = await pool.start(live());
      const ac = new AbortController();
      const queued = pool.start(ac.signal);
      ac.abort(new Error('not waiting any more'));
      await expect(queued).rejects.toThrow('not waiting any more');
      await first.digest();
      const next = await pool.start(live());
      await feed(next, [Buffer.from('x')]);
      expect(await next.digest()).toBe(sha512(Buffer.from('x')));
    });
  });

  it('after a cancel, mid-write or while digesting, the worker serves the next job correctly', async () => {
    await withPool({ size: 1, maxInFlightBytes: 4096 }, async (pool) => {
      const a = await pool.start(live());
      const blocked = a.write(randomBytes(1_000_000));
      expect(blocked).toBeInstanceOf(Promise);
      a.cancel(new Error('stop'));
      await expect(blocked).rejects.toThrow('stop');
      await expect(a.digest()).rejects.toThrow('stop');

      const b = await pool.start(live());
      await feed(b, [Buffer.from('bbb')]);
      const digesting = b.digest();
      b.cancel(new Error('too late'));
      await expect(digesting).rejects.toThrow('too late');

      const c = await pool.start(live());
      const data = randomBytes(20_000);
      await feed(c, [data]);
      expect(await c.digest()).toBe(sha512(data));
    });
  });

  it('aborting the job signal cancels it', async () => {
    await withPool({ size: 1, maxInFlightBytes: 4096 }, async (pool) => {
      const ac = new AbortController();
      const job = await pool.start(ac.signal);
      const blocked = job.write(randomBytes(1_000_000));
      ac.abort(new Error('aborted by caller'));
      await expect(blocked).rejects.toThrow('aborted by caller');
    });
  });

  it('a crashed worker rejects its job and is replaced', async () => {
    const created: Worker[] = [];
    await withPool({ size: 1, maxInFlightBytes: 4096, onWorker: (w) => created.push(w) }, async (pool) => {
      const job = await pool.start(live());
      const blocked = job.write(randomBytes(1_000_000));
      await created[0]?.terminate();
      await expect(blocked).rejects.toThrow(/sha512 worker exited/);
      await expect(job.digest()).rejects.toThrow(/sha512 worker exited/);

      const next = await pool.start(live());
      await feed(next, [Buffer.from('after')]);
      expect(await next.digest()).toBe(sha512(Buffer.from('after')));
      expect(created).toHaveLength(2);
    });
  });

  it('an exception inside the worker rejects the job instead of hanging', async () => {
    const created: Worker[] = [];
    await withPool({ size: 1, onWorker: (w) => created.push(w) }, async (pool) => {
      const job = await pool.start(live());
      await feed(job, [randomBytes(1000)]);
      created[0]?.postMessage('boom');
      await expect(job.digest()).rejects.toThrow(/unknown message boom/);
    });
  });

  it('close() rejects running jobs, queued starts and later starts', async () => {
    const pool = new HashPool({ size: 1 });
    const running = await pool.start(live());
    const queued = pool.start(live());
    const digest = running.digest();
    const settled = Promise.all([
      expect(queued).rejects.toThrow('hash pool closed'),
      expect(digest).rejects.toThrow('hash pool closed'),
    ]);
    await pool.close();
    await settled;
    await expect(pool.start(live())).rejects.toThrow('hash pool closed');
  });

  it('refuses nonsense options', () => {
    expect(() => new HashPool({ size: 0 })).toThrow();
    expect(() => new HashPool({ maxInFlightBytes: 10 })).toThrow();
  });
});
