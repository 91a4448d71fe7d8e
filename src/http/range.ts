/**
 * Download ranges (spec v2 §6.2): Glance's single-range `Range` support and its legacy
 * request `Content-Range`, parsed the way WebOb's byterange module does. Parsing needs no
 * image; resolving against the image size is the core's (src/core/range.ts).
 *
 * In a ByteRangeRequest `end` is inclusive (the header's last-byte-pos), or null when open.
 */
import { BadRequestError } from '../core/errors.js';
import { unsatisfiable, type ByteRangeRequest } from '../core/range.js';

// WebOb `_rx_range` / `_rx_content_range`, used with re.match: anchored at the start only, so
// trailing junk (`bytes=0-4xyz`) is accepted as WebOb accepts it.
const RANGE_RE = /^bytes *= *(\d*) *- *(\d*)/i;
const CONTENT_RANGE_RE = /^bytes (?:(\d+)-(\d+)|[*])\/(?:(\d+)|[*])/;


function parseRange(header: string): ByteRangeRequest {
  if (header.includes(',')) {
    throw new BadRequestError(
      'Requests with multiple ranges are not supported in Glance. You may make multiple single-range requests instead.',
    );
  }
  const m = RANGE_RE.exec(header);
  const first = m?.[1] ?? '';
  const last = m?.[2] ?? '';
  // `bytes=-` crashes WebOb (int('')); it is just as unparsable as `bytes=abc`.
  if (!m || (first === '' && last === '')) throw unsatisfiable('Invalid Range header.');
  if (first === '') {
    const length = Number(last);
    // WebOb turns `bytes=-0` into Range(-0 == 0, None), i.e. the whole image.
    if (length === 0) return { kind: 'range', start: 0, end: null, source: 'range' };
    return { kind: 'suffix', length, source: 'range' };
  }
  const start = Number(first);
  if (last === '') return { kind: 'range', start, end: null, source: 'range' };
  const end = Number(last);
  if (start > end) throw unsatisfiable('Invalid Range header.');
  return { kind: 'range', start, end, source: 'range' };
}

function parseContentRange(header: string): ByteRangeRequest {
  const m = CONTENT_RANGE_RE.exec(header);
  const invalid = unsatisfiable('Invalid Content-Range header.');
  // `bytes */…` parses in WebOb but carries no range; Glance then crashes comparing None.
  if (!m || m[1] === undefined || m[2] === undefined) throw invalid;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start > end) throw invalid;
  if (m[3] === undefined) return { kind: 'range', start, end, source: 'content-range', totalUnknown: true };
  // WebOb validates a response-style range: it must lie inside the declared total.
  if (end + 1 > Number(m[3])) throw invalid;
  return { kind: 'range', start, end, source: 'content-range' };
}

/**
 * The range a download asks for, or null for the whole image. `Range` wins; a request
 * `Content-Range` is honoured only without it (Glance's backward compatibility).
 * A present but empty header counts as present.
 */
export function parseRangeHeaders(range: string | undefined, contentRange: string | undefined): ByteRangeRequest | null {
  if (range !== undefined) return parseRange(range);
  if (contentRange !== undefined) return parseContentRange(contentRange);
  return null;
}
