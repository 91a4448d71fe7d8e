import type { Readable } from 'node:stream';
import type { RequestContext } from './context.js';

/** One object of a container, as listed. */
export interface ContainerObject {
  name: string;
  bytes: number;
  last_modified: number;
}

export interface ContainerInfo {
  name: string;
  count: number;
  bytes: number;
}

export interface ObjectData {
  stream: Readable;
  info: ContainerObject;
}

/** A stored object and the md5 of the bytes written (its ETag). */
export interface PutObjectResult extends ContainerObject {
  md5: string;
}

/**
 * Named containers of objects per project: the local stand-in for Swift / Cloud Files that
 * import and export tasks read from and write to. Every call is scoped to the caller's project.
 */
export interface ContainerCore {
  listContainers(ctx: RequestContext, signal: AbortSignal): Promise<ContainerInfo[]>;
  createContainer(ctx: RequestContext, container: string, signal: AbortSignal): Promise<boolean>;
  deleteContainer(ctx: RequestContext, container: string, signal: AbortSignal): Promise<void>;
  listObjects(ctx: RequestContext, container: string, signal: AbortSignal): Promise<ContainerObject[]>;
  putObject(ctx: RequestContext, container: string, object: string, data: Readable, signal: AbortSignal, contentLength?: number): Promise<PutObjectResult>;
  headObject(ctx: RequestContext, container: string, object: string, signal: AbortSignal): Promise<ContainerObject>;
  openObject(ctx: RequestContext, container: string, object: string, signal: AbortSignal): Promise<ObjectData>;
  deleteObject(ctx: RequestContext, container: string, object: string, signal: AbortSignal): Promise<void>;
}
