/**
 * Image bytes for the bench: a file of random bytes written once per run (then served from the
 * page cache by every reader), and a generated stream for sizes we would rather not keep on disk.
 */
import { randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';

const MiB = 1024 * 1024;

/** Writes `bytes` random bytes to `file` (fsynced) and returns the path. */
export async function writeRandomFile(file, bytes) {
  const fh = await open(file, 'wx');
  try {
    const buf = Buffer.allocUnsafe(8 * MiB);
    for (let done = 0; done < bytes; ) {
      const n = Math.min(buf.length, bytes - done);
      randomFillSync(buf, 0, n);
      const { bytesWritten } = await fh.write(buf, 0, n);
      done += bytesWritten;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  return file;
}

/**
 * A Readable of exactly `bytes` bytes: a 16 MiB random block repeated, with the first 8 bytes of
 * every block replaced by its index so no two blocks are equal. It costs the client almost no CPU
 * (no randomness per byte); chunks are fresh subarrays the consumer may keep.
 */
export function generatedStream(bytes, chunkSize = MiB) {
  const block = randomFillSync(Buffer.allocUnsafe(16 * MiB));
  let offset = 0;
  return new Readable({
    highWaterMark: 4 * chunkSize,
    read() {
      if (offset >= bytes) return this.push(null);
      const inBlock = offset % block.length;
      if (inBlock === 0) block.writeBigUInt64BE(BigInt(offset / block.length), 0);
      const n = Math.min(chunkSize, bytes - offset, block.length - inBlock);
      // A copy: the block is rewritten for the next round while this chunk may still be queued.
      this.push(Buffer.from(block.subarray(inBlock, inBlock + n)));
      offset += n;
    },
  });
}
