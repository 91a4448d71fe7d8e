/**
 * UpstreamCore uploads against an embedded gateway upstream: large bodies refused early by the
 * upstream do not hang, v1 size/md5 verification cuts the transfer before its end (nothing
 * becomes active), and a declared size from the reserve is enforced.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { makeContext } from '../../src/core/context.js';
import { BadRequestError, ConflictError, PayloadTooLargeError } from '../../src/core/errors.js';
import { createUpstreamCore, type UpstreamParts } from '../../src/upstream/create.js';
import { startHarness, type Harness } from '../gateway/harness.js';
import { upstreamConfig } from './fixture.js';

const NO_ABORT = new AbortController().signal;
const ctx = makeContext({ projectId: 'up-p', userId: 'u', roles: ['member'], requestId: 'req-upload-test' });
const RAW = { disk_format: 'raw', container_format: 'bare' };
const CAP = 4 * 1024 * 1024;

/** `count` chunks of 64 KiB, produced lazily (never all in memory). */
function chunks(count: number, fill = 7): Readable {
  let i = 0;
  return new Readable({
    read() {
      this.push(i++ < count ? Buffer.alloc(65536, fill) : null);
    },
  });
}

let upstream: Harness;
let parts: UpstreamParts;
beforeAll(async () => {
  const limits = { ...DEFAULT_CONFIG.limits, imageSizeCap: CAP };
  upstream = await startHarness({ logLevel: 'silent', limits });
  parts = createUpstreamCore({ ...DEFAULT_CONFIG, mode: 'upstream', limits, upstream: upstreamConfig(upstream.url) }, pino({ level: 'silent' }));
});
afterAll(async () => {
  await parts.core.close();
  await upstream.stop();
});

describe('UpstreamCore uploads', () => {
  it('an upload to an active image is refused with 409 without waiting for a large body', async () => {
    const img = await parts.core.createImage(ctx, RAW, NO_ABORT);
    await parts.core.uploadImageData(ctx, img.id, Readable.from([Buffer.from('first')]), {}, NO_ABORT);
    const big = chunks(48); // 3 MiB
    await expect(parts.core.uploadImageData(ctx, img.id, big, {}, NO_ABORT)).rejects.toBeInstanceOf(ConflictError);
    expect((await parts.core.getImage(ctx, img.id, NO_ABORT)).size).toBe(5);
  });

  it('over the size cap → 413 and the image back to queued', async () => {
    const img = await parts.core.createImage(ctx, RAW, NO_ABORT);
    await expect(parts.core.uploadImageData(ctx, img.id, chunks(80), {}, NO_ABORT)).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect((await parts.core.getImage(ctx, img.id, NO_ABORT)).status).toBe('queued');
  });

  it('a v1 size or checksum mismatch cuts the transfer: 400, killed for v1, queued without data upstream', async () => {
    for (const opts of [{ expectedSize: 10 }, { expectedChecksum: createHash('md5').update('other').digest('hex') }]) {
      const img = await parts.core.createImage(ctx, RAW, NO_ABORT);
      await expect(
        parts.core.uploadImageData(ctx, img.id, chunks(16), { ...opts, failureStatus: 'killed' }, NO_ABORT),
      ).rejects.toBeInstanceOf(BadRequestError);
      expect((await parts.core.getImage(ctx, img.id, NO_ABORT)).status).toBe('killed');
      const raw = (await (await fetch(`${upstream.url}/v2/images/${img.id}`, { headers: { 'x-project-id': 'up-p' } })).json()) as Record<string, unknown>;
      expect(raw).toMatchObject({ status: 'queued', size: null, checksum: null });
    }
  });

  it('a size declared at reserve time is enforced on the upload that follows, and forgotten after success', async () => {
    const img = await parts.core.createImage(ctx, RAW, NO_ABORT, { declared: { size: 3 } });
    await expect(parts.core.uploadImageData(ctx, img.id, Readable.from([Buffer.from('four')]), { failureStatus: 'killed' }, NO_ABORT)).rejects.toThrow(
      /Supplied size \(3\)/,
    );
    const ok = await parts.core.createImage(ctx, RAW, NO_ABORT, { declared: { size: 3, checksum: createHash('md5').update('abc').digest('hex') } });
    const done = await parts.core.uploadImageData(ctx, ok.id, Readable.from([Buffer.from('abc')]), { failureStatus: 'killed' }, NO_ABORT);
    expect(done).toMatchObject({ status: 'active', size: 3 });
  });

  it('a client abort mid-upload leaves the image queued upstream', async () => {
    const img = await parts.core.createImage(ctx, RAW, NO_ABORT);
    const abort = new AbortController();
    let sent = 0;
    const body = new Readable({
      read() {
        if (++sent === 4) abort.abort();
        setTimeout(() => this.push(sent < 64 ? Buffer.alloc(65536, 1) : null), 2);
      },
    });
    await expect(parts.core.uploadImageData(ctx, img.id, body, {}, abort.signal)).rejects.toThrow();
    expect((await parts.core.getImage(ctx, img.id, NO_ABORT)).status).toBe('queued');
  });
});
