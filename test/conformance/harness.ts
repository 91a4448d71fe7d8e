/**
 * Shared plumbing of the ImageCore conformance suite (suite.ts). Everything here speaks only the
 * ImageCore interface, so the same tests run against the embedded core and the upstream core.
 *
 * Isolation: a core under test may already hold images (an upstream Glance is shared), so every
 * image the suite creates carries the extra property `SCOPE_KEY` with a value unique to the test,
 * every list query is narrowed to that scope, and every project id is unique to the run.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import type { ImageCore } from '../../src/core/core.js';
import { makeContext, type RequestContext } from '../../src/core/context.js';
import type { Image, ImageCreateInput } from '../../src/core/image.js';
import type { PatchOp } from '../../src/core/patch.js';
import type { ImageFilters, ImageQuery, SortSpec, SortDir } from '../../src/core/query.js';

/**
 * What the factory handed to describeCoreConformance must configure. The suite depends on these
 * exact values (size-cap tests upload just over IMAGE_SIZE_CAP bytes).
 */
export const CONFORMANCE_REQUIREMENTS = {
  /** limits.imageSizeCap: small, so the 413 path is cheap to reach. */
  imageSizeCap: 64 * 1024,
  /** limits.userStorageQuota: off, so only the size cap limits uploads. */
  userStorageQuota: 0,
  /** limits.tagQuota / propertyQuota / memberQuota: at least this many (the suite stays below). */
  minQuota: 20,
  /** limits.apiLimitMax: at least this (list queries use limit ≤ 100). */
  minApiLimitMax: 100,
  /** importMethods must include glance-direct. */
  importMethod: 'glance-direct',
  /** Single store (stores: null): images report no store choice. */
  singleStore: true,
} as const;

export interface CoreUnderTest {
  core: ImageCore;
  cleanup: () => Promise<void>;
  /** Where a core's contract is narrower than the embedded one (documented deviations). */
  capabilities?: Partial<CoreCapabilities>;
}

export interface CoreCapabilities {
  /**
   * Resolution of the timestamps the core reports. Glance v2 shows whole seconds while it
   * orders by its finer stored value, so images created within one second tie in what the core
   * reports but not in the order it returns; the suite then spaces out what it orders by time.
   */
  timestampResolutionMs: number;
  /** v1's includeDeleted: v2 never shows deleted images, so an upstream core cannot. */
  showsDeletedImages: boolean;
}

const FULL_CAPABILITIES: CoreCapabilities = { timestampResolutionMs: 1, showsDeletedImages: true };
export type CoreFactory = () => Promise<CoreUnderTest>;

export const SCOPE_KEY = 'conformance_scope';
const RUN = randomUUID().slice(0, 8);

/** A signal that never aborts. */
export const NO_ABORT: AbortSignal = new AbortController().signal;

export function md5(buf: Buffer): string {
  return createHash('md5').update(buf).digest('hex');
}
export function sha512(buf: Buffer): string {
  return createHash('sha512').update(buf).digest('hex');
}

/** A Readable of the given bytes, in chunks of `chunk` bytes (Readable.from of Buffers). */
export function bytesStream(data: Buffer, chunk = 4096): Readable {
  const parts: Buffer[] = [];
  for (let o = 0; o < data.length; o += chunk) parts.push(data.subarray(o, o + chunk));
  return Readable.from(parts);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A Readable that yields `count` chunks of `size` bytes, waiting `delayMs` before each one. */
export function slowStream(count: number, size: number, delayMs: number): Readable {
  return Readable.from(
    (async function* () {
      for (let i = 0; i < count; i++) {
        await sleep(delayMs);
        yield Buffer.alloc(size, i % 256);
      }
    })(),
  );
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** Awaits `p` and asserts it rejected with an instance of `cls` (message optionally matched). */
export async function expectReject(
  p: Promise<unknown>,
  cls: abstract new (...args: never[]) => Error,
  message?: string | RegExp,
): Promise<Error> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${cls.name}, but the call succeeded`).toBeDefined();
  expect(err, `expected ${cls.name}, got ${String(err)}`).toBeInstanceOf(cls);
  if (message !== undefined) {
    if (typeof message === 'string') expect((err as Error).message).toBe(message);
    else expect((err as Error).message).toMatch(message);
  }
  return err as Error;
}

export const ids = (images: readonly Image[]): string[] => images.map((i) => i.id);
export const sorted = (xs: readonly string[]): string[] => [...xs].sort();

/** Compares like the cores do: nulls as '' / 0 (spec v2 §5.3). */
function sortValue(image: Image, key: SortSpec['key']): string | number {
  const v = image[key];
  if (v === null) return key === 'size' ? 0 : '';
  return v;
}

/** The order a list must have: the sort keys, then created_at and id (spec v2 §5.3). */
export function expectedOrder(images: readonly Image[], sort: SortSpec[], defaultDir: SortDir): string[] {
  const full = [...sort];
  for (const key of ['created_at', 'id'] as const) {
    if (!full.some((s) => s.key === key)) full.push({ key, dir: defaultDir });
  }
  return [...images]
    .sort((a, b) => {
      for (const { key, dir } of full) {
        const x = sortValue(a, key);
        const y = sortValue(b, key);
        if (x === y) continue;
        const c = x < y ? -1 : 1;
        return dir === 'asc' ? c : -c;
      }
      return 0;
    })
    .map((i) => i.id);
}

/** The suite's view of one core: contexts, scoped creation, and tidy-up of what it made. */
export class Harness {
  readonly core: ImageCore;
  readonly capabilities: CoreCapabilities;
  private readonly created = new Set<string>();
  private seq = 0;

  constructor(private readonly under: CoreUnderTest) {
    this.core = under.core;
    this.capabilities = { ...FULL_CAPABILITIES, ...under.capabilities };
  }

  /** Waits until the next write gets a timestamp the core reports as different from the last one. */
  async tick(): Promise<void> {
    const r = this.capabilities.timestampResolutionMs;
    if (r > 1) await sleep(r - (Date.now() % r) + 5);
  }

  /** A project id unique to this run. */
  project(label: string): string {
    return `ct-${RUN}-${label}-${++this.seq}`;
  }

  /** A non-admin caller (`member` role) in `projectId`. */
  user(projectId: string, roles: string[] = ['member']): RequestContext {
    return makeContext({ projectId, userId: `u-${projectId}`, roles, requestId: `req-${randomUUID()}` });
  }

  /** An admin caller in its own project. */
  admin(projectId = `ct-${RUN}-admin`): RequestContext {
    return makeContext({ projectId, userId: 'ct-admin', roles: ['admin'], requestId: `req-${randomUUID()}` });
  }

  /** A value unique to one test, stored on its images as SCOPE_KEY. */
  scope(): string {
    return `${RUN}-${++this.seq}`;
  }

  /** Creates an image in `scope` (the scope property is added unless already given). */
  async create(ctx: RequestContext, scope: string, input: ImageCreateInput = {}): Promise<Image> {
    const image = await this.core.createImage(ctx, { [SCOPE_KEY]: scope, ...input }, NO_ABORT);
    this.created.add(image.id);
    return image;
  }

  /** Records an image created by the test itself (for tidy-up). */
  track(id: string): void {
    this.created.add(id);
  }

  /** A list query narrowed to `scope`. */
  query(scope: string, filters: ImageFilters = {}, rest: Partial<Omit<ImageQuery, 'filters'>> = {}): ImageQuery {
    return {
      filters: { ...filters, properties: { [SCOPE_KEY]: scope, ...(filters.properties ?? {}) } },
      sort: rest.sort ?? [],
      defaultDir: rest.defaultDir ?? 'desc',
      limit: rest.limit ?? 100,
      ...(rest.marker !== undefined ? { marker: rest.marker } : {}),
    };
  }

  async listIds(ctx: RequestContext, scope: string, filters: ImageFilters = {}, rest: Partial<Omit<ImageQuery, 'filters'>> = {}): Promise<string[]> {
    const page = await this.core.listImages(ctx, this.query(scope, filters, rest), NO_ABORT);
    return ids(page.images);
  }

  async upload(ctx: RequestContext, id: string, data: Buffer): Promise<Image> {
    return this.core.uploadImageData(ctx, id, bytesStream(data), {}, NO_ABORT);
  }

  /** Polls getImage until `done` holds (or the deadline passes) and returns the last image. */
  async waitFor(ctx: RequestContext, id: string, done: (i: Image) => boolean, timeoutMs = 20_000): Promise<Image> {
    const deadline = Date.now() + timeoutMs;
    let image = await this.core.getImage(ctx, id, NO_ABORT);
    while (!done(image) && Date.now() < deadline) {
      await sleep(50);
      image = await this.core.getImage(ctx, id, NO_ABORT);
    }
    return image;
  }

  patch(ctx: RequestContext, id: string, ...ops: PatchOp[]): Promise<Image> {
    return this.core.updateImage(ctx, id, ops, NO_ABORT);
  }

  /** Deletes every image the suite created (admin; unprotecting first), then the core. */
  async dispose(): Promise<void> {
    const admin = this.admin();
    for (const id of this.created) {
      try {
        const image = await this.core.getImage(admin, id, NO_ABORT);
        if (image.protected) await this.patch(admin, id, op('replace', 'protected', false));
        await this.core.deleteImage(admin, id, NO_ABORT);
      } catch {
        /* already gone */
      }
    }
    await this.under.cleanup();
  }
}

/** A PatchOp in the v2.1 dialect (strictAdd false) unless `strict`. */
export function op(kind: PatchOp['op'], path: string, value?: unknown, strict = false): PatchOp {
  return kind === 'remove'
    ? { op: kind, path: [path], hasValue: false, strictAdd: strict }
    : { op: kind, path: [path], value, hasValue: true, strictAdd: strict };
}
