import { Readable } from 'node:stream';
import type { Context, Hono } from 'hono';
import type { RequestContext } from '../../core/context.js';
import type { UploadOptions } from '../../core/core.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, ServiceUnavailableError } from '../../core/errors.js';
import type { Image } from '../../core/image.js';
import { readBodyText, parseJsonBody } from '../json-body.js';
import { baseUrlFrom } from '../versions.js';
import { requestHasBody } from '../resource.js';
import { header, json, param } from '../respond.js';
import type { GatewayEnv } from '../types.js';
import type { V1Deps } from './deps.js';
import { metaFromJsonBody } from './json-meta.js';
import { hasField, parseImageMetaHeaders, type V1ImageMeta } from './meta-headers.js';
import { imageToV1, v1Status } from './render.js';
import { createInputFromV1, patchOpsFromV1, shouldPurge } from './to-core.js';

interface V1Request {
  meta: V1ImageMeta;
  /** The body is image data (not absent, not the SDK's JSON metadata). */
  hasData: boolean;
}

/** POST /v1/images, PUT and DELETE /v1/images/{id}. */
export function mountV1WriteRoutes(app: Hono<GatewayEnv>, deps: V1Deps): void {
  const { core, config } = deps;

  /** Headers, or the JSON body of openstacksdk/OSC (compatibility extension, spec v1 §8.4 (a)). */
  const readRequest = async (c: Context<GatewayEnv>): Promise<V1Request> => {
    const req = c.env.incoming;
    const options = { diskFormats: config.diskFormats, containerFormats: config.containerFormats, imageSizeCap: config.limits.imageSizeCap };
    const type = header(c, 'content-type')?.split(';')[0]!.trim().toLowerCase();
    const body = requestHasBody(req);
    if (body && type === 'application/json') {
      const text = await readBodyText(req, config.limits.maxJsonBodyBytes, c.req.raw.signal);
      return { meta: metaFromJsonBody(parseJsonBody(text, { maxDepth: config.limits.maxJsonDepth }), options), hasData: false };
    }
    const meta = parseImageMetaHeaders(req.rawHeaders, options);
    // No Content-Type means octet-stream (extension (b)); anything else is refused, as v1 did.
    if (body && type !== undefined && type !== 'application/octet-stream') {
      throw new BadRequestError('Content-Type must be application/octet-stream');
    }
    return { meta, hasData: body };
  };

  const uploadOptions = (c: Context<GatewayEnv>, meta: V1ImageMeta): UploadOptions => {
    const opts: UploadOptions = { failureStatus: 'killed' };
    const length = header(c, 'content-length');
    if (length !== undefined && /^\d+$/.test(length)) opts.contentLength = Number(length);
    if (typeof meta.fields.size === 'number' && hasField(meta, 'size')) opts.expectedSize = meta.fields.size;
    if (typeof meta.fields.checksum === 'string') opts.expectedChecksum = meta.fields.checksum;
    const store = meta.fields.store;
    if (typeof store === 'string' && store !== '') {
      if (config.stores !== null) opts.storeId = store;
      // A single store answers to v1's default scheme only.
      else if (store !== 'file') throw new BadRequestError(`Required store ${store} is invalid`);
    }
    return opts;
  };

  /** The data step shared by create and update: upload, external location or copy-from. */
  const addData = async (c: Context<GatewayEnv>, image: Image, r: V1Request): Promise<Image> => {
    const ctx = c.get('ctx');
    const signal = c.req.raw.signal;
    const { meta } = r;
    if (r.hasData) {
      assertFormats(image);
      return core.uploadImageData(ctx, image.id, c.env.incoming, uploadOptions(c, meta), signal);
    }
    if (typeof meta.fields.location === 'string') {
      assertFormats(image);
      const size = typeof meta.fields.size === 'number' && meta.fields.size > 0 ? meta.fields.size : undefined;
      return core.addLocation(ctx, image.id, meta.fields.location, { ...(size !== undefined ? { size } : {}) }, signal).catch((e: unknown) => {
        // v1 reported an unreachable location as a bad request (spec v1 §3.3 step 4).
        throw e instanceof ServiceUnavailableError ? new BadRequestError(e.message) : e;
      });
    }
    if (meta.copyFrom !== undefined) {
      assertFormats(image);
      await core.importImage(ctx, image.id, { method: { name: 'web-download', uri: meta.copyFrom }, failureStatus: 'killed' }, signal);
      return core.getImage(ctx, image.id, signal);
    }
    return image;
  };

  app.post('/v1/images', async (c) => {
    const ctx = c.get('ctx');
    const r = await readRequest(c);
    const { meta } = r;
    uploadOptions(c, meta); // refuses an unknown store before anything is reserved
    if (hasField(meta, 'location') && (meta.fields.location === null || meta.fields.location === '')) {
      throw new BadRequestError('External source should not be empty');
    }
    if (meta.copyFrom === '') throw new BadRequestError('External source should not be empty');
    const sources = [r.hasData, hasField(meta, 'location'), meta.copyFrom !== undefined].filter(Boolean).length;
    if (sources > 1) throw new BadRequestError("It's invalid to provide multiple image sources.");
    // The source is checked before anything is reserved, as v1 did (spec v1 §3.3 step 3).
    const source = typeof meta.fields.location === 'string' ? meta.fields.location : meta.copyFrom;
    if (source !== undefined) await core.checkExternalUrl(source, c.req.raw.signal);
    const declaredSize = typeof meta.fields.size === 'number' && sources === 0 ? meta.fields.size : undefined;
    const declared = {
      ...(declaredSize !== undefined && declaredSize > 0 ? { size: declaredSize } : {}),
      ...(sources === 0 && typeof meta.fields.checksum === 'string' ? { checksum: meta.fields.checksum } : {}),
    };
    let image = await core.createImage(ctx, createInputFromV1(meta, ctx), c.req.raw.signal, { declared });
    if (sources === 0 && declaredSize === 0) {
      // v1: a reserve with size 0 is an active image without data.
      image = await core.uploadImageData(ctx, image.id, Readable.from([]), { failureStatus: 'killed' }, c.req.raw.signal);
    } else if (sources > 0 && !r.hasData) {
      // A refused location or copy-from source reserves nothing, as v1 checked before reserving.
      const reserved = image;
      image = await addData(c, reserved, r).catch(async (e: unknown) => {
        await core.deleteImage(ctx, reserved.id, AbortSignal.timeout(10_000)).catch(() => undefined);
        throw e;
      });
    } else {
      image = await addData(c, image, r);
    }
    const location = `${baseUrlFrom(c.env.incoming.headers, config.publicEndpoint ?? undefined)}/v1/images/${image.id}`;
    return json(c, 201, { image: imageToV1(image) }, etag(image, { Location: location }));
  });

  app.put('/v1/images/:id', async (c) => {
    const ctx = c.get('ctx');
    const id = param(c, 'id');
    const r = await readRequest(c);
    const current = await core.getImage(ctx, id, c.req.raw.signal, { includeDeleted: true });
    if (current.deleted) throw new ForbiddenError('Forbidden to update deleted image.');
    const status = v1Status(current);
    if (r.hasData && status !== 'queued') throw new ConflictError('Cannot upload to an unqueued image');
    if ((hasField(r.meta, 'location') || r.meta.copyFrom !== undefined) && status !== 'queued') {
      throw new BadRequestError('Attempted to update Location field for an image not in queued status.');
    }
    const ops = patchOpsFromV1(current, r.meta, ctx, shouldPurge(r.meta, r.hasData));
    // Metadata is committed before the data step, as v1 did.
    let image = ops.length > 0 ? await core.updateImage(ctx, id, ops, c.req.raw.signal) : current;
    if (ops.length === 0 && !isOwnerOrAdmin(current, ctx)) throw new ForbiddenError('You do not own this image');
    image = await addData(c, image, r);
    return json(c, 200, { image: imageToV1(image) }, etag(image));
  });

  app.delete('/v1/images/:id', async (c) => {
    const ctx = c.get('ctx');
    const id = param(c, 'id');
    const image = await core.getImage(ctx, id, c.req.raw.signal, { includeDeleted: true });
    if (image.status === 'pending_delete') throw new ForbiddenError('Forbidden to delete a pending_delete image.');
    if (image.deleted) throw new NotFoundError(`Image ${id} not found.`);
    if (image.protected) throw new ForbiddenError('Image is protected');
    await core.deleteImage(ctx, id, c.req.raw.signal);
    // v1 answered 200 with an empty body, not 204 (tempest checks it).
    return new Response(null, { status: 200, headers: { 'x-openstack-request-id': c.get('requestId') } });
  });
}

function assertFormats(image: Image): void {
  if (image.disk_format === null) throw new BadRequestError('Disk format is not specified.');
  if (image.container_format === null) throw new BadRequestError('Container format is not specified.');
}

function isOwnerOrAdmin(image: Image, ctx: RequestContext): boolean {
  return ctx.isAdmin || (image.owner !== null && image.owner === ctx.projectId);
}

function etag(image: Image, extra: Record<string, string> = {}): Record<string, string> {
  return image.checksum === null ? extra : { ...extra, ETag: image.checksum };
}
