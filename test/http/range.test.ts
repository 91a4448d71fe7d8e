import { describe, expect, it } from 'vitest';
import { BadRequestError, RangeNotSatisfiableError } from '../../src/core/errors.js';
import type { ByteRangeRequest, ResolvedRange } from '../../src/core/range.js';
import { resolveRange } from '../../src/core/range.js';
import { parseRangeHeaders } from '../../src/http/range.js';

function resolve(range: string | undefined, contentRange: string | undefined, size: number): ResolvedRange | null {
  const req = parseRangeHeaders(range, contentRange);
  return req === null ? null : resolveRange(req, size);
}

function failure(fn: () => unknown): { status: number; form: string; message: string } {
  try {
    fn();
  } catch (e) {
    const err = e as BadRequestError | RangeNotSatisfiableError;
    return { status: err.status, form: err.form, message: err.message };
  }
  throw new Error('no error');
}

describe('spec §6.2 table (5-byte image "hello")', () => {
  it.each<[string, ResolvedRange, string]>([
    ['bytes=0-4', { start: 0, end: 4 }, 'hello'],
    ['bytes=4-', { start: 4, end: 4 }, 'o'],
    ['bytes=-3', { start: 2, end: 4 }, 'llo'],
    ['bytes=-100', { start: 0, end: 4 }, 'hello'],
    ['bytes=0-15', { start: 0, end: 4 }, 'hello'],
  ])('%s', (header, resolved, body) => {
    const r = resolve(header, undefined, 5);
    expect(r).toEqual(resolved);
    expect('hello'.slice(r!.start, r!.end + 1)).toBe(body);
  });
});

describe('parseRangeHeaders', () => {
  it.each<[string | undefined, string | undefined, ByteRangeRequest | null]>([
    [undefined, undefined, null],
    ['bytes=0-4', undefined, { kind: 'range', start: 0, end: 4, source: 'range' }],
    ['bytes=3-', undefined, { kind: 'range', start: 3, end: null, source: 'range' }],
    ['bytes=-3', undefined, { kind: 'suffix', length: 3, source: 'range' }],
    ['bytes=4-4', undefined, { kind: 'range', start: 4, end: 4, source: 'range' }],
    // WebOb's regex: case-insensitive unit, spaces around = and -, trailing junk ignored.
    ['BYTES = 1 - 2', undefined, { kind: 'range', start: 1, end: 2, source: 'range' }],
    ['bytes=0-4xyz', undefined, { kind: 'range', start: 0, end: 4, source: 'range' }],
    // WebOb reads `-0` as start 0 (the whole image).
    ['bytes=-0', undefined, { kind: 'range', start: 0, end: null, source: 'range' }],
    // Range wins over Content-Range.
    ['bytes=1-2', 'garbage', { kind: 'range', start: 1, end: 2, source: 'range' }],
    [undefined, 'bytes 0-4/*', { kind: 'range', start: 0, end: 4, source: 'content-range', totalUnknown: true }],
    [undefined, 'bytes 1-3/5', { kind: 'range', start: 1, end: 3, source: 'content-range' }],
    [undefined, 'bytes 0-4/5', { kind: 'range', start: 0, end: 4, source: 'content-range' }],
  ])('Range=%j Content-Range=%j', (range, contentRange, expected) => {
    expect(parseRangeHeaders(range, contentRange)).toEqual(expected);
  });

  const MULTI =
    'Requests with multiple ranges are not supported in Glance. You may make multiple single-range requests instead.';
  it.each<[string | undefined, string | undefined, number, string, string]>([
    ['bytes=0-1,3-4', undefined, 400, 'explanation', MULTI],
    ['bytes=abc,', undefined, 400, 'explanation', MULTI],
    ['bytes=abc', undefined, 416, 'detail', 'Invalid Range header.'],
    ['items=0-3', undefined, 416, 'detail', 'Invalid Range header.'],
    ['bytes=5-2', undefined, 416, 'detail', 'Invalid Range header.'],
    ['bytes=-', undefined, 416, 'detail', 'Invalid Range header.'],
    ['', undefined, 416, 'detail', 'Invalid Range header.'],
    [' bytes=0-1', undefined, 416, 'detail', 'Invalid Range header.'],
    [undefined, 'bytes */*', 416, 'detail', 'Invalid Content-Range header.'],
    [undefined, 'bytes */5', 416, 'detail', 'Invalid Content-Range header.'],
    [undefined, 'bytes 3-1/*', 416, 'detail', 'Invalid Content-Range header.'],
    [undefined, 'bytes 0-10/5', 416, 'detail', 'Invalid Content-Range header.'],
    [undefined, 'bytes=0-4', 416, 'detail', 'Invalid Content-Range header.'],
    [undefined, 'Bytes 0-4/*', 416, 'detail', 'Invalid Content-Range header.'],
    [undefined, '', 416, 'detail', 'Invalid Content-Range header.'],
  ])('Range=%j Content-Range=%j → %i', (range, contentRange, status, form, message) => {
    expect(failure(() => parseRangeHeaders(range, contentRange))).toEqual({ status, form, message });
  });
});

describe('resolveRange', () => {
  it.each<[string | undefined, string | undefined, number, ResolvedRange]>([
    ['bytes=0-0', undefined, 1, { start: 0, end: 0 }],
    ['bytes=-1', undefined, 1, { start: 0, end: 0 }],
    ['bytes=-0', undefined, 5, { start: 0, end: 4 }],
    ['bytes=4-100', undefined, 5, { start: 4, end: 4 }],
    [undefined, 'bytes 0-4/*', 5, { start: 0, end: 4 }],
    [undefined, 'bytes 1-3/10', 5, { start: 1, end: 3 }],
    // An explicit total skips Glance's stop check; the end is clipped to the image.
    [undefined, 'bytes 2-8/10', 5, { start: 2, end: 4 }],
  ])('Range=%j Content-Range=%j size=%i', (range, contentRange, size, expected) => {
    expect(resolve(range, contentRange, size)).toEqual(expected);
  });

  const START = (n: number): string =>
    `Invalid start position in Range header. Start position MUST be in the inclusive range [0, ${n}].`;
  const CR_START = (n: number): string =>
    `Invalid start position in Content-Range header. Start position MUST be in the inclusive range [0, ${n}].`;
  const CR_STOP = (n: number): string =>
    `Invalid stop position in Content-Range header. The stop position MUST be in the inclusive range [0, ${n}].`;
  it.each<[string | undefined, string | undefined, number, string]>([
    ['bytes=16-', undefined, 5, START(4)],
    ['bytes=5-', undefined, 5, START(4)],
    ['bytes=5-9', undefined, 5, START(4)],
    ['bytes=0-0', undefined, 0, START(-1)],
    ['bytes=0-', undefined, 0, START(-1)],
    ['bytes=-3', undefined, 0, START(-1)],
    ['bytes=-0', undefined, 0, START(-1)],
    [undefined, 'bytes 0-5/*', 5, CR_STOP(4)],
    [undefined, 'bytes 10-12/*', 5, CR_STOP(4)],
    [undefined, 'bytes 5-6/10', 5, CR_START(4)],
    [undefined, 'bytes 0-0/*', 0, CR_STOP(-1)],
  ])('Range=%j Content-Range=%j size=%i → 416', (range, contentRange, size, message) => {
    expect(failure(() => resolve(range, contentRange, size))).toEqual({ status: 416, form: 'detail', message });
  });
});
