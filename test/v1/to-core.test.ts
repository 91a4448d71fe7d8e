import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../src/core/context.js';
import { DEFAULT_CONTAINER_FORMATS, DEFAULT_DISK_FORMATS, type Image } from '../../src/core/image.js';
import { applyPatch, validateCreate, type ImageLimits } from '../../src/core/image-rules.js';
import { makePolicy } from '../../src/core/policy.js';
import { parseImageMetaHeaders, type V1ImageMeta } from '../../src/http/v1/meta-headers.js';
import { createInputFromV1, patchOpsFromV1, shouldPurge } from '../../src/http/v1/to-core.js';
import { activeImage, ctxs, ID, makeImage, MD5, META_OPTIONS, P, raw, thrown } from './fixtures.js';

const policy = makePolicy();
const LIMITS: ImageLimits = { propertyQuota: 128, tagQuota: 128, memberQuota: 128, locationQuota: 10 };
const FORMATS = { disk: DEFAULT_DISK_FORMATS, container: DEFAULT_CONTAINER_FORMATS };

type H = Array<[string, string]>;
const meta = (headers: H): V1ImageMeta => parseImageMetaHeaders(raw(headers), META_OPTIONS);
const prop = (k: string, v: string): [string, string] => [`x-image-meta-property-${k}`, v];
const field = (k: string, v: string): [string, string] => [`x-image-meta-${k}`, v];

describe('createInputFromV1', () => {
  it('§3.9 reserve → v2 create body, accepted by the core', () => {
    const m = meta([
      field('name', 'New Name'),
      field('container_format', 'ami'),
      field('disk_format', 'ami'),
      field('is_public', 'False'),
      prop('prop1', 'val1'),
    ]);
    const body = createInputFromV1(m, ctxs.owner);
    expect(body).toStrictEqual({
      prop1: 'val1',
      name: 'New Name',
      disk_format: 'ami',
      container_format: 'ami',
      visibility: 'shared',
    });
    const created = validateCreate(body, ctxs.owner, policy, LIMITS, FORMATS);
    expect(created).toMatchObject({ owner: P, visibility: 'shared', properties: { prop1: 'val1' }, name: 'New Name' });
  });

  it('tempest min_ram create', () => {
    const body = createInputFromV1(meta([field('min_ram', '40'), field('min_disk', '2'), field('protected', 'True')]), ctxs.owner);
    expect(body).toStrictEqual({ min_ram: 40, min_disk: 2, protected: true, visibility: 'shared' });
  });

  it.each([
    [[], 'shared'],
    [[field('is_public', 'false')], 'shared'],
    [[field('is_public', 'garbage')], 'shared'],
    [[field('is_public', 'True')], 'public'],
  ] as Array<[H, string]>)('visibility from %j → %s', (headers, visibility) => {
    expect(createInputFromV1(meta(headers), ctxs.owner).visibility).toBe(visibility);
  });

  it('is_public=True: the core enforces publicize_image (403 for non-admins)', () => {
    const m = meta([field('is_public', 'True')]);
    expect(thrown(() => validateCreate(createInputFromV1(m, ctxs.owner), ctxs.owner, policy, LIMITS, FORMATS))).toEqual({
      status: 403,
      message: 'You are not authorized to complete publicize_image action.',
    });
    expect(validateCreate(createInputFromV1(m, ctxs.admin), ctxs.admin, policy, LIMITS, FORMATS).visibility).toBe('public');
  });

  it.each([
    ['owner', ctxs.owner, 'someone', undefined],
    ['owner, empty', ctxs.owner, '', undefined],
    ['admin', ctxs.admin, 'someone', 'someone'],
    ['admin, empty → ownerless', ctxs.admin, '', null],
  ] as Array<[string, RequestContext, string, string | null | undefined]>)('owner header as %s', (_, ctx, value, want) => {
    const body = createInputFromV1(meta([field('owner', value)]), ctx);
    if (want === undefined) expect(Object.hasOwn(body, 'owner')).toBe(false);
    else expect(body.owner).toBe(want);
    // Non-admins end up owning the image, as v1 silently did.
    const created = validateCreate(body, ctx, policy, LIMITS, FORMATS);
    expect(created.owner).toBe(want === undefined ? ctx.projectId : want);
  });

  it.each([
    [ID, ID],
    ['', undefined],
  ])('id %j → %j', (id, want) => {
    expect(createInputFromV1(meta([field('id', id)]), ctxs.owner).id).toBe(want);
  });

  it('an invalid id is a 400', () => {
    expect(thrown(() => createInputFromV1(meta([field('id', 'not-a-uuid')]), ctxs.owner))).toEqual({
      status: 400,
      message: 'Invalid image id format',
    });
  });

  it('empty property values are not created; an empty name is a null name', () => {
    const body = createInputFromV1(meta([prop('empty', ''), prop('kernel_id', ''), field('name', '')]), ctxs.owner);
    expect(body).toStrictEqual({ name: null, visibility: 'shared' });
  });

  it('size, checksum, status, times, location, store, copy_from, uri, deleted, virtual_size are not part of the body', () => {
    const body = createInputFromV1(
      meta([
        field('size', '0'),
        field('checksum', MD5),
        field('status', 'active'),
        field('virtual_size', '5'),
        field('created_at', '2016-01-01'),
        field('updated_at', '2016-01-01'),
        field('deleted_at', '2016-01-01'),
        field('deleted', 'true'),
        field('location', 'http://example.com/x'),
        field('store', 'file'),
        field('copy_from', 'http://example.com/y'),
        field('uri', 'http://example.com/z'),
      ]),
      ctxs.owner,
    );
    expect(body).toStrictEqual({ visibility: 'shared' });
  });

  it.each(['os_glance_import_task', 'os_glance', 'visibility', 'owner', 'tags', 'location', 'deleted', 'direct_url', 'stores', 'size'])(
    'property %s → 403 protected',
    (key) => {
      expect(thrown(() => createInputFromV1(meta([prop(key, 'x')]), ctxs.admin))).toEqual({
        status: 403,
        message: `Property '${key}' is protected`,
      });
    },
  );
});

describe('shouldPurge (§3.6 step 5)', () => {
  it.each([
    [undefined, false, true],
    [undefined, true, false],
    ['true', false, true],
    ['true', true, false],
    ['false', false, false],
    ['garbage', false, false],
  ] as const)('header %j, body %s → %s', (header, hasBody, want) => {
    const m = meta(header === undefined ? [] : [['x-glance-registry-purge-props', header]]);
    expect(shouldPurge(m, hasBody)).toBe(want);
  });
});

/** Parses headers, builds the ops and runs them through the core's PATCH rules. */
function update(current: Image, headers: H, ctx: RequestContext = ctxs.owner, purge = true): Image {
  const ops = patchOpsFromV1(current, meta(headers), ctx, purge);
  return applyPatch(current, ops, ctx, policy, LIMITS, FORMATS).image;
}

describe('patchOpsFromV1: properties and purge (§3.6)', () => {
  it('tempest test_update_image_metadata: exact ops and result', () => {
    const current = activeImage({ properties: { key1: 'value1' } });
    const headers: H = [prop('key1', 'alt1'), prop('key2', 'value2')];
    expect(patchOpsFromV1(current, meta(headers), ctxs.owner, true)).toEqual([
      { op: 'replace', path: ['key1'], value: 'alt1', hasValue: true, strictAdd: false },
      { op: 'add', path: ['key2'], value: 'value2', hasValue: true, strictAdd: false },
    ]);
    expect(update(current, headers).properties).toEqual({ key1: 'alt1', key2: 'value2' });
  });

  it("Glance's purge examples", () => {
    let image = makeImage({ properties: { key1: 'v' } });
    image = update(image, [prop('key2', 'v')]);
    expect(image.properties).toEqual({ key2: 'v' });
    image = update(image, [prop('key3', 'v')], ctxs.owner, false);
    expect(image.properties).toEqual({ key2: 'v', key3: 'v' });
    image = update(image, [prop('key3', 'v')]);
    expect(image.properties).toEqual({ key3: 'v' });
  });

  it('purge never removes hidden bookkeeping keys', () => {
    const current = makeImage({ properties: { key1: 'v', os_glance_importing_to_stores: '', os_glance_failed_import: '' } });
    const ops = patchOpsFromV1(current, meta([prop('key2', 'v')]), ctxs.owner, true);
    expect(ops.filter((o) => o.op === 'remove').map((o) => o.path)).toEqual([['key1']]);
    expect(ops.find((o) => o.op === 'remove')).toEqual({ op: 'remove', path: ['key1'], hasValue: false, strictAdd: false });
  });

  it('an empty value removes an existing property and adds nothing otherwise', () => {
    const current = makeImage({ properties: { a: '1', b: '2' } });
    expect(update(current, [prop('a', ''), prop('zz', '')], ctxs.owner, false).properties).toEqual({ b: '2' });
  });

  it('unchanged values produce no op', () => {
    const current = activeImage({ properties: { a: '1' } });
    const headers: H = [prop('a', '1'), field('name', 'New Name'), field('min_ram', '0'), field('protected', 'no')];
    expect(patchOpsFromV1(current, meta(headers), ctxs.owner, true)).toEqual([]);
    expect(patchOpsFromV1(current, meta([]), ctxs.owner, false)).toEqual([]);
  });

  it('tags and os_hidden are never touched', () => {
    const current = makeImage({ tags: ['x'], os_hidden: true, properties: { a: '1' } });
    const after = update(current, [field('name', 'n')]);
    expect([after.tags, after.os_hidden, after.properties]).toEqual([['x'], true, {}]);
  });

  it.each(['os_glance_x', 'visibility', 'os_hidden', 'location', 'deleted_at', 'locations'])('property %s → 403', (key) => {
    expect(thrown(() => patchOpsFromV1(makeImage(), meta([prop(key, 'x')]), ctxs.owner, true))).toEqual({
      status: 403,
      message: `Property '${key}' is protected`,
    });
  });
});

describe('patchOpsFromV1: core fields (§7.1)', () => {
  it('same formats on an active image are dropped, so the core accepts the update', () => {
    const current = activeImage();
    const after = update(current, [field('disk_format', 'ami'), field('container_format', 'ami'), field('name', 'x')]);
    expect([after.name, after.disk_format]).toEqual(['x', 'ami']);
  });

  it('a real format change of an active image is refused by the core', () => {
    expect(thrown(() => update(activeImage(), [field('disk_format', 'qcow2'), field('container_format', 'bare')]))).toEqual({
      status: 403,
      message: 'Attribute disk_format can be only replaced for a queued image.',
    });
  });

  it('PUT disk_format=ami alone sets both formats of a queued image', () => {
    const after = update(makeImage({ disk_format: 'raw', container_format: 'bare' }), [field('disk_format', 'ami')]);
    expect([after.disk_format, after.container_format]).toEqual(['ami', 'ami']);
  });

  it.each([
    ['public', 'False', ctxs.owner, 'shared'],
    ['private', 'False', ctxs.owner, 'private'],
    ['community', 'False', ctxs.owner, 'community'],
    ['shared', 'False', ctxs.owner, 'shared'],
    ['shared', 'True', ctxs.admin, 'public'],
    ['public', 'True', ctxs.admin, 'public'],
  ] as const)('visibility %s + is_public %s → %s', (visibility, isPublic, ctx, want) => {
    expect(update(makeImage({ visibility }), [field('is_public', isPublic)], ctx).visibility).toBe(want);
  });

  it('is_public=True is checked against publicize_image even when already public, as v1 did', () => {
    expect(thrown(() => update(makeImage({ visibility: 'public' }), [field('is_public', 'True')]))).toEqual({
      status: 403,
      message: 'You are not authorized to complete publicize_image action.',
    });
  });

  it.each([
    [ctxs.owner, 'other', P],
    [ctxs.admin, 'other', 'other'],
    [ctxs.admin, '', null],
    [ctxs.admin, P, P],
  ] as const)('owner header by %s: %j → %j', (ctx, value, want) => {
    const current = makeImage();
    const ops = patchOpsFromV1(current, meta([field('owner', value)]), ctx, false);
    expect(ops.length).toBe(want === current.owner ? 0 : 1);
    expect(update(current, [field('owner', value)], ctx, false).owner).toBe(want);
  });
});

describe('patchOpsFromV1: §3.6 steps 3–4', () => {
  const run = (current: Image, headers: H, ctx: RequestContext = ctxs.owner) =>
    thrown(() => patchOpsFromV1(current, meta(headers), ctx, false));
  const forbidden = (message: string) => ({ status: 403, message });

  it.each([
    ['active', [field('size', '1')], "Forbidden to modify 'size' of active image."],
    ['deactivated', [field('size', '1')], "Forbidden to modify 'size' of active image."],
    ['active', [field('checksum', 'abc')], "Forbidden to modify 'checksum' of active image."],
    ['active', [field('checksum', 'abc'), field('size', '1')], "Forbidden to modify 'size' of active image."],
    ['active', [field('status', 'queued')], "Forbidden to modify 'status' of image."],
    ['queued', [field('status', 'active')], "Forbidden to modify 'status' of image."],
    ['active', [field('id', '11111111-2222-3333-4444-555555555555')], "Forbidden to modify 'id' of image."],
    ['active', [field('id', 'garbage'), field('status', 'x')], "Forbidden to modify 'status' of image."],
    ['deleted', [field('name', 'x')], 'Forbidden to update deleted image.'],
  ] as Array<[Image['status'], H, string]>)('non-admin, %s image, %j → 403', (status, headers, message) => {
    expect(run(activeImage({ status }), headers)).toEqual(forbidden(message));
  });

  it.each([
    ['active', [field('size', '1024'), field('checksum', MD5), field('status', 'active'), field('id', ID)]],
    ['queued', [field('size', '5'), field('checksum', 'abc')]],
    ['importing', [field('status', 'saving')]],
    ['active', [field('checksum', ''), field('status', ''), field('id', '')]],
  ] as Array<[Image['status'], H]>)('non-admin, %s image, %j: accepted and ignored', (status, headers) => {
    expect(patchOpsFromV1(activeImage({ status }), meta(headers), ctxs.owner, false)).toEqual([]);
  });

  it('admins may send another size/checksum for an active image (ignored), but not another status or id', () => {
    expect(patchOpsFromV1(activeImage(), meta([field('size', '1'), field('checksum', 'x')]), ctxs.admin, false)).toEqual([]);
    expect(run(activeImage(), [field('status', 'killed')], ctxs.admin)).toEqual(forbidden("Forbidden to modify 'status' of image."));
  });

  it('a reserved image shows size 0 to v1, so size 0 is "unchanged"', () => {
    expect(patchOpsFromV1(activeImage({ size: null }), meta([field('size', '0')]), ctxs.owner, false)).toEqual([]);
  });
});
