/** A single byte range as asked by the client, before it is checked against the image size. */
export type ByteRangeRequest =
  | { kind: 'range'; start: number; end: number | null; source: 'range' | 'content-range'; totalUnknown?: boolean }
  | { kind: 'suffix'; length: number; source: 'range' };

/** A range resolved against the image size: inclusive `start`..`end`. */
export interface ResolvedRange {
  start: number;
  end: number;
}
