import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Counts, limits and md5-hashes the bytes on their way into a container object. Lighter than
 * the image ingest (no sha512 worker): objects only need an ETag and, on export, a comparison
 * with the image's md5 checksum.
 */
export class ObjectMeter extends Transform {
  private readonly md5 = createHash('md5');
  size = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly tooLarge: (bytesSeen: number) => Error,
  ) {
    super({ writableObjectMode: true, readableHighWaterMark: 64 * 1024 });
  }

  override _transform(chunk: unknown, _enc: BufferEncoding, callback: TransformCallback): void {
    if (!(chunk instanceof Uint8Array)) return callback(new TypeError('object write: the source must yield bytes'));
    this.size += chunk.length;
    if (this.size > this.maxBytes) return callback(this.tooLarge(this.size));
    this.md5.update(chunk);
    callback(null, chunk);
  }

  digest(): string {
    return this.md5.digest('hex');
  }
}
