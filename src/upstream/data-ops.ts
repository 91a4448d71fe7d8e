import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { RequestContext } from '../core/context.js';
import type { ImageData, ImportRequest, UploadOptions } from '../core/core.js';
import { ClientAbortError, ConflictError, CoreError, ForbiddenError, PayloadTooLargeError } from '../core/errors.js';
import type { Image } from '../core/image.js';
import { resolveRange, type ByteRangeRequest, type ResolvedRange } from '../core/range.js';
import { fetchErrorToCore } from '../embedded/fetch-errors.js';
import { callerHeaders, drain } from './client.js';
import { assertWritable, imagePath, overlay, type UpstreamDeps } from './deps.js';
import { statusToCoreError, transportToCoreError } from './errors.js';
import { imageFromGlance } from './image-map.js';
import { VerifiedBody } from './verified-body.js';

/** How long a failed transfer waits for the upstream to put the image back (it does so on the cut). */
const SETTLE_MS = 10_000;

/** Image bytes through the upstream: upload, stage, download, import and the v1 data sources. */
export class DataOps {
  private discovered: { at: number; methods: string[] } | null = null;

  constructor(
    private readonly deps: UpstreamDeps,
    private readonly fresh: (ctx: RequestContext, id: string, signal: AbortSignal) => Promise<Image>,
    private readonly cached: (ctx: RequestContext, id: string, signal: AbortSignal) => Promise<Image>,
  ) {}

  upload(ctx: RequestContext, id: string, data: Readable, opts: UploadOptions, signal: AbortSignal): Promise<Image> {
    return this.send(ctx, id, 'file', data, opts, signal).then(async () => {
      this.deps.sidecar.forget(id);
      return this.fresh(ctx, id, signal);
    });
  }

  async stage(ctx: RequestContext, id: string, data: Readable, opts: UploadOptions, signal: AbortSignal): Promise<void> {
    await this.send(ctx, id, 'stage', data, { ...opts, failureStatus: 'queued' }, signal);
  }

  /**
   * Streams `data` to PUT /file or /stage through the verifying body. On any failure the upstream
   * request is aborted before the last chunk, so the upstream discards the data; the call waits
   * (bounded) until the upstream has put the image back, so no caller sees it half-written.
   */
  private async send(ctx: RequestContext, id: string, target: 'file' | 'stage', data: Readable, opts: UploadOptions, signal: AbortSignal): Promise<void> {
    assertWritable(ctx);
    if (signal.aborted) throw new ClientAbortError();
    const d = this.deps;
    const declared = target === 'file' ? d.sidecar.declaredFor(id) : undefined;
    const maxBytes = d.limits.imageSizeCap;
    const what = `upload to image ${id}`;
    d.cache.invalidate(id);
    if (opts.contentLength !== undefined && opts.contentLength > maxBytes) {
      data.resume();
      throw new PayloadTooLargeError('The incoming image is too large: The provided image is too large.', { reason: 'size_cap' });
    }
    const body = new VerifiedBody({
      maxBytes,
      expectedSize: opts.expectedSize ?? declared?.size,
      expectedChecksum: opts.expectedChecksum ?? declared?.checksum,
    });
    const local = new AbortController();
    const onAbort = (): void => local.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let bodyError: unknown;
    // pipe, not pipeline: a refused body must not destroy the client's request, whose
    // connection still has to carry the error answer.
    data.once('error', (e) => body.destroy(e));
    data.pipe(body);
    const feeding = finished(body).catch((e: unknown) => {
      bodyError = e;
      // The upstream must not see a well-formed end: cut its request.
      local.abort(e);
    });
    const headers: Record<string, string> = { ...callerHeaders(ctx), 'content-type': 'application/octet-stream' };
    if (opts.storeId !== undefined) headers['x-image-meta-store'] = opts.storeId;
    try {
      const res = await d.client.send({ method: 'PUT', path: `${imagePath(id)}/${target}`, headers, body, signal: local.signal }, what);
      const text = await res.body.text().catch(() => '');
      if (res.status >= 400) {
        // An early refusal leaves our body unread: end it here, or `feeding` would wait forever.
        local.abort();
        body.destroy();
        await feeding;
        throw statusToCoreError(res.status, text, what);
      }
      await feeding;
      if (bodyError !== undefined) throw bodyError;
    } catch (e) {
      if (!local.signal.aborted) local.abort(e);
      body.destroy();
      await feeding;
      const err =
        bodyError instanceof CoreError ? bodyError : e instanceof CoreError ? e : transportToCoreError(e, signal, what);
      data.unpipe(body);
      if (!data.destroyed) data.resume();
      // A refusal (409 not queued, 403, 404) changed nothing upstream; a failed transfer kills.
      const refused = err instanceof CoreError && [401, 403, 404, 409].includes(err.status);
      if (!refused) await this.settle(ctx, id, target === 'file' ? 'saving' : 'uploading');
      if (opts.failureStatus === 'killed' && !refused) d.sidecar.markKilled(id);
      d.cache.invalidate(id);
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    d.cache.invalidate(id);
  }

  /** Waits until the upstream no longer shows the image in the transfer state (it reverts on abort). */
  private async settle(ctx: RequestContext, id: string, transferStatus: string): Promise<void> {
    const deadline = Date.now() + SETTLE_MS;
    while (Date.now() < deadline) {
      try {
        const image = await this.fresh(ctx, id, AbortSignal.timeout(SETTLE_MS));
        if (image.status !== transferStatus) return;
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async open(ctx: RequestContext, id: string, range: ByteRangeRequest | null, signal: AbortSignal): Promise<ImageData | null> {
    const image = overlay(this.deps, await this.cached(ctx, id, signal));
    const what = `download of image ${id}`;
    let resolved: ResolvedRange | null = null;
    const headers: Record<string, string> = callerHeaders(ctx);
    if (range !== null && image.size !== null && ['active', 'deactivated'].includes(image.status)) {
      resolved = resolveRange(range, image.size);
      headers.range = `bytes=${resolved.start}-${resolved.end}`;
    }
    const res = await this.deps.client.send({ method: 'GET', path: `${imagePath(id)}/file`, headers, signal }, what);
    if (res.status === 204) {
      await drain(res);
      return null;
    }
    if (res.status >= 400) throw statusToCoreError(res.status, await res.body.text().catch(() => ''), what);
    if (res.status !== 200 && res.status !== 206) {
      await drain(res);
      throw statusToCoreError(502, '', what);
    }
    const announced = Number(res.headers['content-length']);
    const length = Number.isSafeInteger(announced) ? announced : resolved !== null ? resolved.end - resolved.start + 1 : (image.size ?? 0);
    const size = image.size ?? length;
    const stream = res.body as unknown as Readable;
    return { image, stream, size, range: res.status === 206 ? resolved : null, length };
  }

  async importImage(ctx: RequestContext, id: string, req: ImportRequest, signal: AbortSignal): Promise<void> {
    assertWritable(ctx);
    const d = this.deps;
    const uri = req.method.uri;
    if (req.failureStatus === 'killed' && req.method.name === 'web-download' && typeof uri === 'string' && !(await this.offers(ctx, 'web-download', signal))) {
      return this.copyFrom(ctx, id, uri, signal);
    }
    const body: Record<string, unknown> = { method: req.method };
    for (const k of ['stores', 'all_stores', 'all_stores_must_succeed'] as const) if (req[k] !== undefined) body[k] = req[k];
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (req.storeHeader !== undefined) headers['x-image-meta-store'] = req.storeHeader;
    d.cache.invalidate(id);
    try {
      if (req.failureStatus === 'killed') d.sidecar.markCopying(id);
      await d.client.json(ctx, { method: 'POST', path: `${imagePath(id)}/import`, headers, body: JSON.stringify(body), signal }, `import of image ${id}`);
    } catch (e) {
      d.sidecar.forget(id);
      throw e;
    } finally {
      d.cache.invalidate(id);
    }
  }

  /** Whether the upstream's `/v2/info/import` lists `method` (asked as the caller; remembered a minute). */
  private async offers(ctx: RequestContext, method: string, signal: AbortSignal): Promise<boolean> {
    const now = Date.now();
    if (this.discovered === null || now - this.discovered.at > 60_000) {
      const { body } = await this.deps.client.json<{ 'import-methods'?: { value?: unknown } }>(
        ctx,
        { method: 'GET', path: '/v2/info/import', signal },
        'import discovery',
      );
      const value = body?.['import-methods']?.value;
      const methods = Array.isArray(value) ? value.filter((m): m is string => typeof m === 'string') : [];
      this.discovered = { at: now, methods };
      this.deps.importMethods.splice(0, this.deps.importMethods.length, ...methods);
    }
    return this.discovered.methods.includes(method);
  }

  /**
   * v1 copy-from when the upstream offers no web-download: this gateway fetches the URL (through
   * its SSRF guard) and streams it into PUT /file in the background, as v1 did; a failure
   * leaves the image `killed` for v1 pollers.
   */
  private async copyFrom(ctx: RequestContext, id: string, uri: string, signal: AbortSignal): Promise<void> {
    const d = this.deps;
    await this.deps.fetcher.check(uri, signal).catch((e: unknown) => {
      throw fetchErrorToCore(e, uri);
    });
    const job = (async () => {
      const background = AbortSignal.timeout(24 * 3600 * 1000);
      try {
        const { body } = await this.openSource(uri, background);
        await this.upload(ctx, id, body, { failureStatus: 'killed' }, background);
      } catch (e) {
        d.sidecar.markKilled(id);
        d.cache.invalidate(id);
        d.logger.warn({ err: (e as Error).message, image_id: id }, 'copy-from failed');
      }
    })();
    d.background.add(job);
    void job.finally(() => d.background.delete(job));
  }

  private async openSource(uri: string, signal: AbortSignal): Promise<{ body: Readable; size: number | null }> {
    try {
      return await this.deps.fetcher.open(uri, signal);
    } catch (e) {
      throw fetchErrorToCore(e, uri);
    }
  }

  /**
   * v1 `x-image-meta-location`: a v2 location when the upstream shows locations; otherwise (the
   * usual `show_multiple_locations=False`) the bytes are fetched once and uploaded.
   */
  async addLocation(ctx: RequestContext, id: string, url: string, size: number | undefined, signal: AbortSignal): Promise<Image> {
    assertWritable(ctx);
    const d = this.deps;
    const patch = JSON.stringify([{ op: 'add', path: '/locations/-', value: { url, metadata: {} } }]);
    d.cache.invalidate(id);
    try {
      const { body } = await d.client.json<unknown>(
        ctx,
        { method: 'PATCH', path: imagePath(id), headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' }, body: patch, signal },
        `location of image ${id}`,
      );
      return imageFromGlance(body);
    } catch (e) {
      if (!(e instanceof ForbiddenError) || !/locations/i.test(e.message)) throw e;
    }
    const remote = await this.openSource(url, signal);
    if (size !== undefined && remote.size !== null && remote.size !== size) {
      remote.body.destroy();
      throw new ConflictError(`Provided image size must match the stored image size. (provided size: ${size}, stored size: ${remote.size})`);
    }
    const body = remote.body;
    return this.upload(ctx, id, body, { ...(size !== undefined ? { expectedSize: size } : {}), failureStatus: 'killed' }, signal);
  }
}
