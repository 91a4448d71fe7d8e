import { RangeNotSatisfiableError } from './errors.js';

/** A single byte range as asked (`end` inclusive, null when open-ended) by the client, before it is checked against the image size. */
export type ByteRangeRequest =
  | { kind: 'range'; start: number; end: number | null; source: 'range' | 'content-range'; totalUnknown?: boolean }
  | { kind: 'suffix'; length: number; source: 'range' };

/** A range resolved against the image size: inclusive `start`..`end`. */
export interface ResolvedRange {
  start: number;
  end: number;
}

export function unsatisfiable(message: string): RangeNotSatisfiableError {
  // Glance passes these messages positionally, i.e. as WebOb detail.
  return new RangeNotSatisfiableError(message, { form: 'detail' });
}

/** Checks a requested range against the image size; the result is inclusive and clipped. */
export function resolveRange(req: ByteRangeRequest, size: number): ResolvedRange {
  const last = size - 1;
  if (req.kind === 'suffix') {
    // Glance would answer `bytes 0--1/0` for a suffix on an empty image; nothing is satisfiable.
    if (size === 0) {
      throw unsatisfiable(`Invalid start position in Range header. Start position MUST be in the inclusive range [0, ${last}].`);
    }
    return { start: Math.max(0, size - req.length), end: last };
  }
  if (req.source === 'range') {
    if (req.start >= size) {
      throw unsatisfiable(`Invalid start position in Range header. Start position MUST be in the inclusive range [0, ${last}].`);
    }
    return { start: req.start, end: req.end === null ? last : Math.min(req.end, last) };
  }
  const end = req.end ?? last;
  if (req.totalUnknown && end >= size) {
    throw unsatisfiable(
      `Invalid stop position in Content-Range header. The stop position MUST be in the inclusive range [0, ${last}].`,
    );
  }
  if (req.start >= size) {
    throw unsatisfiable(
      `Invalid start position in Content-Range header. Start position MUST be in the inclusive range [0, ${last}].`,
    );
  }
  // With an explicit total Glance skips the stop check and would send a short body under a
  // wrong Content-Range; clipping keeps the answer truthful.
  return { start: req.start, end: Math.min(end, last) };
}
