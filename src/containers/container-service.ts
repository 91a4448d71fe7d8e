import type { Readable } from 'node:stream';
import type { ContainerCore, ContainerInfo, ContainerObject, ObjectData, PutObjectResult } from '../core/container.js';
import type { RequestContext } from '../core/context.js';
import { ForbiddenError } from '../core/errors.js';
import { checkProject } from './names.js';
import type { ContainerStore } from './container-store.js';

/** The caller-scoped face of the container store: every call works in the caller's project. */
export class ContainerService implements ContainerCore {
  constructor(private readonly store: ContainerStore) {}

  listContainers(ctx: RequestContext, signal: AbortSignal): Promise<ContainerInfo[]> {
    return this.store.listContainers(project(ctx), signal);
  }

  createContainer(ctx: RequestContext, container: string, signal: AbortSignal): Promise<boolean> {
    return this.store.createContainer(writable(ctx), container, signal);
  }

  deleteContainer(ctx: RequestContext, container: string, signal: AbortSignal): Promise<void> {
    return this.store.deleteContainer(writable(ctx), container, signal);
  }

  listObjects(ctx: RequestContext, container: string, signal: AbortSignal): Promise<ContainerObject[]> {
    return this.store.listObjects(project(ctx), container, signal);
  }

  putObject(ctx: RequestContext, container: string, object: string, data: Readable, signal: AbortSignal, contentLength?: number): Promise<PutObjectResult> {
    return this.store.write(writable(ctx), container, object, data, { signal, ...(contentLength !== undefined ? { contentLength } : {}) });
  }

  headObject(ctx: RequestContext, container: string, object: string, signal: AbortSignal): Promise<ContainerObject> {
    return this.store.stat(project(ctx), container, object, signal);
  }

  openObject(ctx: RequestContext, container: string, object: string, signal: AbortSignal): Promise<ObjectData> {
    return this.store.open(project(ctx), container, object, signal);
  }

  deleteObject(ctx: RequestContext, container: string, object: string, signal: AbortSignal): Promise<void> {
    return this.store.remove(writable(ctx), container, object, signal);
  }
}

function project(ctx: RequestContext): string {
  return checkProject(ctx.projectId);
}

function writable(ctx: RequestContext): string {
  if (ctx.readOnly) throw new ForbiddenError('Read-only access', { reason: 'read_only' });
  return project(ctx);
}
