import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BadRequestError, PayloadTooLargeError } from '../core/errors.js';

export interface Expectations {
  maxBytes: number;
  expectedSize?: number | undefined;
  expectedChecksum?: string | undefined;
}

/**
 * The upload body on its way to the upstream: counts and md5-hashes the bytes and holds back the
 * last chunk until the end is seen, so that on a size cap overflow or a size/checksum mismatch
 * the upstream never receives a complete body — the request is aborted and v2 discards the data
 * (spec v1 §7.4). Backpressure is the pipe's: nothing beyond one chunk is held.
 */
export class VerifiedBody extends Transform {
  private held: Buffer | null = null;
  private bytes = 0;
  private readonly md5: Hash | null;

  constructor(private readonly expect: Expectations) {
    super();
    this.md5 = expect.expectedChecksum !== undefined ? createHash('md5') : null;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.expect.maxBytes) {
      callback(new PayloadTooLargeError('The incoming image is too large: The provided image is too large.', { reason: 'size_cap' }));
      return;
    }
    this.md5?.update(chunk);
    const previous = this.held;
    this.held = chunk;
    callback(null, previous ?? undefined);
  }

  override _flush(callback: TransformCallback): void {
    const { expectedSize, expectedChecksum } = this.expect;
    if (expectedSize !== undefined && expectedSize !== this.bytes) {
      callback(
        new BadRequestError(
          `Supplied size (${expectedSize}) and size generated from uploaded image (${this.bytes}) did not match. Setting image status to 'killed'.`,
          { reason: 'size_mismatch' },
        ),
      );
      return;
    }
    if (expectedChecksum !== undefined) {
      const md5 = this.md5!.digest('hex');
      if (md5 !== expectedChecksum) {
        callback(
          new BadRequestError(
            `Supplied checksum (${expectedChecksum}) and checksum generated from uploaded image (${md5}) did not match. Setting image status to 'killed'.`,
            { reason: 'checksum_mismatch' },
          ),
        );
        return;
      }
    }
    callback(null, this.held ?? undefined);
  }
}
