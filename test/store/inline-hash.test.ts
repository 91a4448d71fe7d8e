import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashPool } from '../../src/store/hash-pool.js';
import { InlineSha512Job } from '../../src/store/inline-hash-job.js';

describe('HashPool when every worker is busy', () => {
  it('hashes inline instead of waiting, when asked to', async () => {
    const pool = new HashPool({ size: 1 });
    try {
      const signal = new AbortController().signal;
      const busy = await pool.start(signal);
      const inline = await pool.start(signal, { inlineWhenBusy: true });
      expect(inline).toBeInstanceOf(InlineSha512Job);
      const data = Buffer.from('abc'.repeat(1000));
      inline.write(data.subarray(0, 100));
      inline.write(data.subarray(100));
      expect(await inline.digest()).toBe(createHash('sha512').update(data).digest('hex'));
      busy.write(data);
      expect(await busy.digest()).toBe(createHash('sha512').update(data).digest('hex'));
      // With a worker free again, jobs go back to the worker.
      expect(await pool.start(signal, { inlineWhenBusy: true })).not.toBeInstanceOf(InlineSha512Job);
    } finally {
      await pool.close();
    }
  });
});
