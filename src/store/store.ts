import type { Readable, Writable } from 'node:stream';

/**
 * A blob store: where image bytes live. Keys are image ids (validated UUIDs); a store never
 * turns a key into a path outside its root. Writes go to a temp file and become visible only
 * on commit (fsync, rename, directory fsync), so a crash leaves either the old state or the new.
 */
export interface BlobStore {
  readonly id: string;
  readonly type: string;
  readonly description: string | undefined;
  /** Shown in /v2/info/stores/detail. */
  readonly properties: Record<string, unknown>;

  /** The URL a location of `key` in this store is shown as (show_multiple_locations). */
  locationUrl?(key: string): string;
  /** Prepares a write of `key`; nothing is visible under `key` until commit(). */
  begin(key: string, signal: AbortSignal): Promise<BlobWriter>;
  /** Opens the bytes of `key`, optionally the inclusive range start..end. */
  open(key: string, range: { start: number; end: number } | null, signal: AbortSignal): Promise<Readable>;
  /** Size of the committed blob, or null when there is none. */
  stat(key: string, signal: AbortSignal): Promise<number | null>;
  /** Removes a committed blob; absent is not an error. */
  remove(key: string, signal: AbortSignal): Promise<void>;
  /** Every committed key (for garbage collection of blobs without an image row). */
  keys(signal: AbortSignal): AsyncIterable<string>;
  /** Removes temp files left by a crash; resolves with how many were removed. */
  cleanTemp(signal: AbortSignal): Promise<number>;
}

export interface BlobWriter {
  /** Where the bytes go. Honours backpressure. */
  readonly writable: Writable;
  /** Makes the bytes durable and visible under the key. Call only after `writable` finished. */
  commit(signal: AbortSignal): Promise<void>;
  /** Discards the temp file. Safe to call more than once and after a failed commit. */
  abort(): Promise<void>;
}

/** What ingest() learnt about the bytes it streamed. */
export interface IngestResult {
  size: number;
  md5: string;
  sha512: string;
}
