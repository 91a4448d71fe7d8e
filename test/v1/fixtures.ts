import { expect } from 'vitest';
import { makeContext, type RequestContext } from '../../src/core/context.js';
import { isCoreError } from '../../src/core/errors.js';
import { DEFAULT_CONTAINER_FORMATS, DEFAULT_DISK_FORMATS, type Image } from '../../src/core/image.js';
import type { MetaHeaderOptions } from '../../src/http/v1/meta-headers.js';
import { makeImage as makeCoreImage } from '../core/fixtures.js';

export const ID = '0c9a3b2e-5f1d-4c7a-9e8b-1a2b3c4d5e6f';
export const P = 'c60b1d57c5034e0d86902aedf8c49be0';
export const MD5 = '7b1b10607acc1319506185e7227ca30d';

/** Queens' v1 lists (spec §0), as tempest configures them. */
export const META_OPTIONS: MetaHeaderOptions = {
  diskFormats: DEFAULT_DISK_FORMATS,
  containerFormats: DEFAULT_CONTAINER_FORMATS,
  imageSizeCap: 1099511627776,
};

export const ctxs = {
  owner: makeContext({ requestId: 'r', projectId: P, roles: ['member'] }),
  other: makeContext({ requestId: 'r', projectId: 'proj2', roles: ['member'] }),
  admin: makeContext({ requestId: 'r', projectId: 'adminproj', roles: ['admin'] }),
} satisfies Record<string, RequestContext>;

/** 2024-01-02T03:04:05Z, the §3.9 example's created_at. */
export const T0 = Date.UTC(2024, 0, 2, 3, 4, 5);

/** The core fixture's image, dressed as the §3.9 worked example (reserved, ami/ami, one property). */
export function makeImage(over: Partial<Image> = {}): Image {
  return makeCoreImage({
    id: ID,
    name: 'New Name',
    disk_format: 'ami',
    container_format: 'ami',
    owner: P,
    created_at: T0,
    updated_at: T0,
    properties: { prop1: 'val1' },
    tags: [],
    ...over,
  });
}

export function activeImage(over: Partial<Image> = {}): Image {
  return makeImage({
    status: 'active',
    size: 1024,
    checksum: MD5,
    os_hash_algo: 'sha512',
    os_hash_value: 'ab'.repeat(64),
    updated_at: T0 + 1000,
    ...over,
  });
}

/** Headers as Node's `req.rawHeaders`: name, value, name, value … */
export function raw(headers: Array<[string, string]>): string[] {
  return headers.flat();
}

/** The error a call throws: its status and exact message (fails when nothing is thrown). */
export function thrown(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (e) {
    if (!isCoreError(e)) throw e;
    return { status: e.status, message: e.message };
  }
  expect.unreachable('expected an error');
  throw new Error('unreachable');
}
