import { expect } from 'vitest';
import { makeContext, type RequestContext } from '../../src/core/context.js';
import { isCoreError } from '../../src/core/errors.js';
import { DEFAULT_CONTAINER_FORMATS, DEFAULT_DISK_FORMATS, type Image } from '../../src/core/image.js';
import type { ImageLimits } from '../../src/core/image-rules.js';
import type { PatchOp } from '../../src/core/patch.js';

export const ID = '32c0207c-4d3f-4087-b0d5-6a137141f15f';
export const FORMATS = { disk: DEFAULT_DISK_FORMATS, container: DEFAULT_CONTAINER_FORMATS };
export const LIMITS: ImageLimits = { propertyQuota: 128, tagQuota: 128, memberQuota: 128, locationQuota: 10 };

export const ctxs = {
  owner: makeContext({ requestId: 'r', projectId: 'proj1', roles: ['member'] }),
  other: makeContext({ requestId: 'r', projectId: 'proj2', roles: ['member'] }),
  admin: makeContext({ requestId: 'r', projectId: 'adminproj', roles: ['admin'] }),
  noProject: makeContext({ requestId: 'r', roles: ['member'] }),
  anon: makeContext({ requestId: 'r', readOnly: true }),
} satisfies Record<string, RequestContext>;

export function makeImage(over: Partial<Image> = {}): Image {
  return {
    id: ID,
    name: 'img1',
    disk_format: null,
    container_format: null,
    visibility: 'shared',
    size: null,
    virtual_size: null,
    status: 'queued',
    checksum: null,
    protected: false,
    min_ram: 0,
    min_disk: 0,
    owner: 'proj1',
    os_hidden: false,
    os_hash_algo: null,
    os_hash_value: null,
    created_at: 1000,
    updated_at: 1000,
    deleted: false,
    deleted_at: null,
    properties: { os_distro: 'debian', foo: 'bar' },
    tags: ['a', 'b'],
    locations: [],
    stores: [],
    ...over,
  };
}

/** v2.1 op (`{"op": ..., "path": ..., "value": ...}`); path given as a plain key for brevity. */
export function op(kind: PatchOp['op'], key: string | string[], ...value: unknown[]): PatchOp {
  return {
    op: kind,
    path: Array.isArray(key) ? key : [key],
    ...(value.length > 0 ? { value: value[0] } : {}),
    hasValue: value.length > 0,
    strictAdd: false,
  };
}

/** v2.0 dialect: `add` of an existing key is a 409. */
export function strict(o: PatchOp): PatchOp {
  return { ...o, strictAdd: true };
}

export interface Expected {
  status: number;
  message: string;
  form?: 'explanation' | 'detail';
}

/** Runs `fn`, expecting a CoreError with this status whose message contains `message`. */
export function expectCoreError(fn: () => unknown, want: Expected): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ${want.status} ${want.message}`).toBeDefined();
  if (!isCoreError(thrown)) throw thrown;
  expect({ status: thrown.status, message: thrown.message }).toEqual({
    status: want.status,
    message: expect.stringContaining(want.message),
  });
  if (want.form !== undefined) expect(thrown.form).toBe(want.form);
}
