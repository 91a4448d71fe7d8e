import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { HashJob, HashPool } from './hash-pool.js';
import type { BlobWriter, IngestResult } from './store.js';

export interface IngestOptions {
  /** Most bytes accepted; one more and ingest fails with tooLarge(bytesSeen). */
  maxBytes: number;
  tooLarge: (bytesSeen: number) => Error;
  signal: AbortSignal;
  hashers: HashPool;
}

/**
 * Streams `source` into `writer.writable`, counting the bytes and hashing them: md5 on this
 * thread and sha512 on a HashPool worker, so an upload keeps two cores busy instead of one.
 *
 * It neither commits nor aborts the writer: the caller does, because only the caller knows
 * whether the image row still wants these bytes. On success the writable has finished (ready for
 * commit()); on failure the source and the writable have been destroyed (call abort()).
 *
 * Failures: tooLarge(n) as soon as more than maxBytes arrived (no byte past the limit reaches the
 * writable); `signal.reason` when the signal aborts; otherwise the stream or hash error.
 *
 * Memory: besides the hash worker's ring (HashPool.maxInFlightBytes) ingest holds no more than
 * ingestBufferBound() bytes of the body, however slow the writable is.
 */
export async function ingest(source: Readable, writer: BlobWriter, options: IngestOptions): Promise<IngestResult> {
  const { maxBytes, tooLarge, signal, hashers } = options;
  let job: HashJob | null = null;
  try {
    signal.throwIfAborted();
    job = await hashers.start(signal);
    const sha = job;
    const md5 = createHash('md5');
    let size = 0;

    // An async generator between the two streams: pipeline() pulls from it only when the
    // writable has room, and the generator pulls from the source only when pulled, so
    // backpressure holds end to end without a Transform's extra buffers.
    const meter = async function* (chunks: AsyncIterable<unknown>, opts?: { signal?: AbortSignal }) {
      // pipeline aborts this signal on any failure (say the disk is full); cancelling the job
      // wakes a write waiting for the worker at once instead of after the worker catches up.
      // It also aborts it after success, hence `done`.
      let done = false;
      const failed = opts?.signal;
      failed?.addEventListener('abort', () => done || sha.cancel(failed.reason), { once: true });
      for await (const chunk of chunks) {
        if (!(chunk instanceof Uint8Array)) throw new TypeError('ingest: the source must yield bytes');
        size += chunk.length;
        if (size > maxBytes) throw tooLarge(size);
        // Hand the chunk to the worker first, so sha512 runs while md5 runs here.
        const wait = sha.write(chunk);
        md5.update(chunk);
        if (wait !== undefined) await wait;
        yield chunk;
      }
      done = true;
    };
    await pipeline(source, meter, writer.writable, { signal });
    const sha512 = await sha.digest();
    return { size, md5: md5.digest('hex'), sha512 };
  } catch (e) {
    job?.cancel(e);
    // pipeline() destroys its streams itself; this covers failures before it started.
    source.destroy();
    writer.writable.destroy();
    if (signal.aborted) throw signal.reason;
    throw e;
  }
}

/**
 * The most body bytes ingest() buffers between `source` and `writable`: the source's buffer, the
 * writable's buffer, and up to three chunks in hand (one over each buffer, one in the generator).
 */
export function ingestBufferBound(source: Readable, writable: Writable, maxChunk: number): number {
  return source.readableHighWaterMark + writable.writableHighWaterMark + 3 * maxChunk;
}
