/**
 * The body of a sha512 hashing worker, as JavaScript source for `new Worker(src, { eval: true })`.
 *
 * Why a string: tests run the TypeScript sources through vitest while production runs compiled
 * JavaScript from dist/, so a worker *file* path would differ between the two (and a .ts file
 * cannot be loaded by a plain worker). An eval'd CommonJS script works in both.
 *
 * Protocol (main → worker), all on the worker's parent port:
 *   'begin'        start a new hash; the ring read position goes back to 0.
 *   <number n>     the next n bytes of the ring (from the current read position, never
 *                  wrapping: the writer splits at the end of the ring) belong to the hash.
 *   'end'          reply { digest: hex } and forget the hash.
 *   'cancel'       reply { cancelled: true } and forget the hash.
 * Worker → main:
 *   <number n>     n more ring bytes were hashed; the writer may reuse them.
 *   { digest } / { cancelled }   the job is over; every ack for it was sent before this.
 *
 * Acks are coalesced (every ackBytes or when the queue is empty) because one postMessage per
 * 64 KiB chunk costs the main thread, which is the busiest thread of an ingest. Messages queued
 * behind the current one are drained synchronously with receiveMessageOnPort for the same reason.
 */
export const HASH_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');

const ring = new Uint8Array(workerData.ring);
const ackBytes = workerData.ackBytes;
let hash = null;
let pos = 0;
let unacked = 0;

function flushAcks() {
  if (unacked > 0) {
    parentPort.postMessage(unacked);
    unacked = 0;
  }
}

function handle(m) {
  if (typeof m === 'number') {
    if (hash === null) throw new Error('sha512 worker: data outside a job');
    hash.update(ring.subarray(pos, pos + m));
    pos += m;
    if (pos === ring.length) pos = 0;
    unacked += m;
    if (unacked >= ackBytes) flushAcks();
    return;
  }
  switch (m) {
    case 'begin':
      hash = createHash('sha512');
      pos = 0;
      unacked = 0;
      return;
    case 'end': {
      if (hash === null) throw new Error('sha512 worker: end outside a job');
      const digest = hash.digest('hex');
      hash = null;
      flushAcks();
      parentPort.postMessage({ digest });
      return;
    }
    case 'cancel':
      hash = null;
      flushAcks();
      parentPort.postMessage({ cancelled: true });
      return;
    default:
      throw new Error('sha512 worker: unknown message ' + String(m));
  }
}

parentPort.on('message', (first) => {
  let m = first;
  for (;;) {
    handle(m);
    const next = receiveMessageOnPort(parentPort);
    if (next === undefined) break;
    m = next.message;
  }
  flushAcks();
});
`;
