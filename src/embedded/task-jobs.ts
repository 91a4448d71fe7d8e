/**
 * What the import and export tasks do once running. Both go through the ImageCore (create,
 * upload, open, delete) so every image rule, quota and the one ingest path apply unchanged.
 */
import type { Readable } from 'node:stream';
import type { ContainerStore } from '../containers/container-store.js';
import { checkContainerName, parseObjectRef } from '../containers/names.js';
import type { RequestContext } from '../core/context.js';
import type { ImageCore } from '../core/core.js';
import { CoreError } from '../core/errors.js';
import type { ImportSource } from '../core/task-rules.js';
import type { UrlFetcher } from '../fetch/url-fetcher.js';
import { fetchErrorToCore } from './fetch-errors.js';

export interface TaskJobDeps {
  core: ImageCore;
  containers: ContainerStore;
  fetcher: UrlFetcher;
  diskFormats: readonly string[];
  /** Records the image a task works on as soon as it exists (crash recovery removes it). */
  setImage(imageId: string): void;
}

/** A failure whose message the task shows as is. */
export class TaskFailure extends Error {}

export async function runImport(
  d: TaskJobDeps,
  ctx: RequestContext,
  input: Record<string, unknown>,
  source: ImportSource,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  if (source.kind === 'url') {
    // Glance's form needs both fields (spec v2 §10.1); the container form infers the format.
    for (const key of ['import_from_format', 'image_properties']) {
      if (input[key] === undefined) throw new TaskFailure(`Input does not contain '${key}' field`);
    }
  }
  const props = input.image_properties ?? {};
  if (typeof props !== 'object' || props === null || Array.isArray(props)) {
    throw new TaskFailure("Input field 'image_properties' must be an object");
  }
  const { stream, size, label } = await openSource(d, ctx, source, signal);
  // The source may fail (the runner's signal aborts it) before the upload pipes it anywhere.
  stream.on('error', ignore);
  let imageId: string | null = null;
  try {
    const create: Record<string, unknown> = { ...(props as Record<string, unknown>) };
    const wantsProtected = create.protected === true;
    // Created unprotected so that a failed import can always be cleaned up.
    delete create.protected;
    create.disk_format ??= defaultDiskFormat(d, input.import_from_format, label);
    create.container_format ??= 'bare';
    const image = await d.core.createImage(ctx, create, signal);
    imageId = image.id;
    d.setImage(image.id);
    await d.core.uploadImageData(ctx, image.id, stream, { failureStatus: 'killed', ...(size !== null ? { contentLength: size } : {}) }, signal);
    if (wantsProtected) {
      await d.core.updateImage(ctx, image.id, [{ op: 'replace', path: ['protected'], value: true, hasValue: true, strictAdd: false }], signal);
    }
    return { image_id: image.id };
  } catch (e) {
    stream.destroy();
    if (imageId !== null) {
      // No half-made image stays behind; its bytes (if any) go with it.
      await d.core.deleteImage(ctx, imageId, AbortSignal.timeout(30_000)).catch(() => undefined);
    }
    throw e;
  }
}

export async function runExport(
  d: TaskJobDeps,
  ctx: RequestContext,
  input: Record<string, unknown>,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const imageId = String(input.image_uuid);
  const container = String(input.receiving_swift_container);
  named(() => checkContainerName(container), 'Cannot export');
  const data = await d.core.openImageData(ctx, imageId, null, signal).catch((e: unknown) => {
    throw new TaskFailure(`Cannot export image ${imageId}: ${messageOf(e)}`);
  });
  if (data === null || data.image.status !== 'active') {
    data?.stream.destroy();
    throw new TaskFailure(`Cannot export image ${imageId}: only active images with data can be exported (status ${data?.image.status ?? 'without data'}).`);
  }
  const { image } = data;
  data.stream.on('error', ignore);
  const object = `${image.id}.${image.disk_format ?? 'raw'}`;
  const written = await d.containers.write(ctx.projectId ?? '', container, object, data.stream, {
    signal,
    contentLength: image.size ?? undefined,
    ...(image.checksum !== null
      ? {
          expectMd5: image.checksum,
          mismatch: (md5: string) =>
            new TaskFailure(
              `Checksum mismatch exporting image ${image.id}: the stored bytes have md5 ${md5} but the image checksum is ${image.checksum}; nothing was written to ${container}.`,
            ),
        }
      : {}),
  }).finally(() => data.stream.destroy());
  if (image.size !== null && written.bytes !== image.size) {
    await d.containers.remove(ctx.projectId ?? '', container, object, AbortSignal.timeout(30_000)).catch(() => undefined);
    throw new TaskFailure(`Size mismatch exporting image ${image.id}: read ${written.bytes} bytes, the image has ${image.size}.`);
  }
  return { export_location: `${container}/${object}` };
}

async function openSource(
  d: TaskJobDeps,
  ctx: RequestContext,
  source: ImportSource,
  signal: AbortSignal,
): Promise<{ stream: Readable; size: number | null; label: string }> {
  if (source.kind === 'url') {
    try {
      const res = await d.fetcher.open(source.url, signal);
      return { stream: res.body, size: res.size, label: new URL(source.url).pathname };
    } catch (e) {
      throw new TaskFailure(`Cannot import from ${source.url}: ${messageOf(fetchErrorToCore(e, source.url))}`);
    }
  }
  const { container, object } = named(() => parseObjectRef(source.ref), 'Cannot import');
  const opened = await d.containers.open(ctx.projectId ?? '', container, object, signal).catch((e: unknown) => {
    throw new TaskFailure(`Cannot import from ${source.ref}: ${messageOf(e)}`);
  });
  return { stream: opened.stream, size: opened.info.bytes, label: object };
}

/** The disk format: import_from_format, else the source's file extension, else qcow2. */
function defaultDiskFormat(d: TaskJobDeps, fromFormat: unknown, label: string): string {
  if (typeof fromFormat === 'string' && d.diskFormats.includes(fromFormat)) return fromFormat;
  const ext = /\.([A-Za-z0-9]+)$/.exec(label)?.[1]?.toLowerCase();
  return ext !== undefined && d.diskFormats.includes(ext) ? ext : 'qcow2';
}

function named<T>(check: () => T, what: string): T {
  try {
    return check();
  } catch (e) {
    throw new TaskFailure(`${what}: ${messageOf(e)}`);
  }
}

/** Errors of a stream reach whoever pipes it; this only keeps an unpiped one from crashing. */
function ignore(): void {}

function messageOf(e: unknown): string {
  return e instanceof CoreError || e instanceof TaskFailure ? e.message : 'Task failed due to Internal Error';
}
