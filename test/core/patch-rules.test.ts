import { describe, it } from 'vitest';
import type { RequestContext } from '../../src/core/context.js';
import type { Image } from '../../src/core/image.js';
import { applyPatch, type ImageLimits } from '../../src/core/image-rules.js';
import type { PatchOp } from '../../src/core/patch.js';
import { makePolicy } from '../../src/core/policy.js';
import { ctxs, expectCoreError, FORMATS, LIMITS, makeImage, op, strict, type Expected } from './fixtures.js';

const policy = makePolicy();
const small: ImageLimits = { ...LIMITS, tagQuota: 2, propertyQuota: 2 };
const loc = { url: 'http://example.com/x', metadata: {} };

const forbidden = (message: string, form: Expected['form'] = 'explanation'): Expected => ({ status: 403, message, form });
const bad = (message: string): Expected => ({ status: 400, message });
const conflict = (message: string): Expected => ({ status: 409, message, form: 'detail' });
const tooLarge = (message: string): Expected => ({ status: 413, message });
const schema = (m: string) => bad(`Provided object does not match schema 'image': ${m}`);
const pointer = (p: string) => bad(`Invalid JSON pointer for this resource: '${p}'`);

interface Case {
  ops: PatchOp[];
  want: Expected;
  image?: Partial<Image>;
  ctx?: RequestContext;
  limits?: ImageLimits;
}
const run = ({ ops, want, image, ctx, limits }: Case): void =>
  expectCoreError(() => applyPatch(makeImage(image), ops, ctx ?? ctxs.owner, policy, limits ?? LIMITS, FORMATS), want);

const READ_ONLY = [
  'created_at', 'updated_at', 'status', 'checksum', 'size', 'virtual_size', 'self', 'file', 'schema',
  'direct_url', 'os_hash_algo', 'os_hash_value', 'id', 'stores',
];
const RESERVED = ['location', 'deleted', 'deleted_at', 'os_glance_import_task', 'os_glance'];

describe('applyPatch: read-only and reserved roots, for every op', () => {
  const kinds = ['add', 'replace', 'remove'] as const;
  const withValue = (kind: PatchOp['op'], key: string) => (kind === 'remove' ? op(kind, key) : op(kind, key, 'x'));
  it.each(READ_ONLY.flatMap((k) => kinds.map((kind) => [kind, k] as const)))('%s %s → 403 read-only', (kind, key) => {
    run({ ops: [withValue(kind, key)], want: forbidden(`Attribute '${key}' is read-only.`) });
  });
  it.each(RESERVED.flatMap((k) => kinds.map((kind) => [kind, k] as const)))('%s %s → 403 reserved', (kind, key) => {
    run({ ops: [withValue(kind, key)], want: forbidden(`Attribute '${key}' is reserved.`) });
  });
});

describe('applyPatch: each rule', () => {
  const cases: [string, Case][] = [
    ['read-only context, even for []', { ops: [], want: forbidden('Read-only access'), ctx: ctxs.anon }],
    ['empty pointer', { ops: [op('replace', [], 'x')], want: pointer('/') }],
    ['too deep', { ops: [op('replace', ['name', 'x'], 'y')], want: pointer('/name/x') }],
    ['tags element', { ops: [op('add', ['tags', '-'], 'x')], want: pointer('/tags/-') }],
    ['tags index', { ops: [op('remove', ['tags', '0'])], want: pointer('/tags/0') }],
    ['add /locations without index', { ops: [op('add', 'locations', [loc])], want: pointer('/locations') }],
    ['replace /locations/0', { ops: [op('replace', ['locations', '0'], loc)], want: pointer('/locations/0') }],
    ['add without value', { ops: [op('add', 'name')], want: bad('Operation "add" requires a member named "value".') }],
    ['replace without value', { ops: [op('replace', 'foo')], want: bad('Operation "replace" requires a member named "value".') }],
    ['name type', { ops: [op('replace', 'name', 5)], want: schema("5 is not of type 'null', 'string'") }],
    ['name too long', { ops: [op('replace', 'name', 'n'.repeat(256))], want: bad("' is too long") }],
    ['extra not a string', { ops: [op('add', 'foo', 5)], want: schema("5 is not of type 'string'") }],
    ['extra null', { ops: [op('add', 'foo', null)], want: schema("None is not of type 'string'") }],
    ['visibility enum', { ops: [op('replace', 'visibility', 'all')], want: schema("'all' is not one of") }],
    ['disk_format enum', { ops: [op('replace', 'disk_format', 'qcow3')], want: schema("'qcow3' is not one of") }],
    ['protected type', { ops: [op('replace', 'protected', 'yes')], want: schema("'yes' is not of type 'boolean'") }],
    ['min_ram type', { ops: [op('replace', 'min_ram', '1')], want: schema("'1' is not of type 'integer'") }],
    ['tags type', { ops: [op('replace', 'tags', 'a')], want: schema("'a' is not of type 'array'") }],
    ['tag item type', { ops: [op('replace', 'tags', ['a', 5])], want: schema("5 is not of type 'string'") }],
    ['tag too long', { ops: [op('replace', 'tags', ['t'.repeat(256)])], want: bad("' is too long") }],
    ['kernel_id pattern', { ops: [op('add', 'kernel_id', 'abc')], want: schema("'abc' does not match") }],
    ['os_version null', { ops: [op('add', 'os_version', null)], want: schema("None is not of type 'string'") }],
    ['cinder policy enum', { ops: [op('add', 'cinder_encryption_key_deletion_policy', 'x')], want: schema("'x' is not one of") }],
    ['location value', { ops: [op('add', ['locations', '-'], 5)], want: schema("5 is not of type 'object'") }],
    ['location without metadata', { ops: [op('add', ['locations', '-'], { url: 'u' })], want: schema("'metadata' is a required property") }],
    ['long extra key (§15 #3 fixed)', { ops: [op('add', 'k'.repeat(256), 'v')], want: bad('Custom property should not be greater than 255 characters.') }],
    ['add location (invisible)', { ops: [op('add', ['locations', '-'], loc)], want: forbidden("It's not allowed to add locations if locations are invisible.") }],
    ['remove location (invisible)', { ops: [op('remove', ['locations', '0'])], want: forbidden("It's not allowed to remove locations if locations are invisible.") }],
    ['replace locations (invisible)', { ops: [op('replace', 'locations', [loc])], want: forbidden("It's not allowed to update locations if locations are invisible.") }],
    ['replace locations with []', { ops: [op('replace', 'locations', [])], want: forbidden('Cannot set locations to empty list.', 'detail') }],
    ['remove name', { ops: [op('remove', 'name')], want: forbidden('Property name may not be removed.', 'detail') }],
    ['remove tags', { ops: [op('remove', 'tags')], want: forbidden('Property tags may not be removed.', 'detail') }],
    ['remove owner', { ops: [op('remove', 'owner')], want: forbidden('Property owner may not be removed.', 'detail') }],
    ['remove min_ram', { ops: [op('remove', 'min_ram')], want: forbidden('Property min_ram may not be removed.', 'detail') }],
    ['replace missing extra', { ops: [op('replace', 'nope', 'x')], want: conflict('Property nope does not exist.') }],
    ['remove missing extra', { ops: [op('remove', 'nope')], want: conflict('Property nope does not exist.') }],
    ['replace kernel_id null when missing', { ops: [op('replace', 'kernel_id', null)], want: conflict('Property kernel_id does not exist.') }],
    ['v2.0 add of base attribute', { ops: [strict(op('add', 'name', 'x'))], want: conflict('Property name already present.') }],
    ['v2.0 add of existing extra', { ops: [strict(op('add', 'foo', 'x'))], want: conflict('Property foo already present.') }],
    ['replace owner by non-admin', { ops: [op('replace', 'owner', 'proj2')], want: forbidden("Owner can't be updated by non admin.", 'detail') }],
    ['add owner by non-admin (§15 #15 fixed)', { ops: [op('add', 'owner', 'proj1')], want: forbidden("Owner can't be updated by non admin.", 'detail') }],
    ['publicize by non-admin', { ops: [op('replace', 'visibility', 'public')], want: forbidden('You are not authorized to complete publicize_image action.') }],
    ['not the owner', { ops: [op('replace', 'name', 'x')], want: forbidden('You do not own this image'), ctx: ctxs.other }],
    ['unowned image, non-admin', { ops: [op('add', 'foo', 'x')], want: forbidden('You do not own this image'), image: { owner: null } }],
    ['disk_format on active', { ops: [op('replace', 'disk_format', 'raw')], want: forbidden('Attribute disk_format can be only replaced for a queued image.'), image: { status: 'active' } }],
    ['container_format on deactivated', { ops: [op('add', 'container_format', 'bare')], want: forbidden('Attribute container_format can be only replaced for a queued image.'), image: { status: 'deactivated' } }],
    ['same disk_format on active', { ops: [op('replace', 'disk_format', 'raw')], want: forbidden('can be only replaced'), image: { status: 'active', disk_format: 'raw' } }],
    ['negative min_ram', { ops: [op('replace', 'min_ram', -5)], want: bad("Invalid value '-5' for parameter 'min_ram': Cannot be a negative value") }],
    ['negative min_disk', { ops: [op('add', 'min_disk', -1)], want: bad("Invalid value '-1' for parameter 'min_disk': Cannot be a negative value") }],
    ['min_ram out of range', { ops: [op('replace', 'min_ram', 2 ** 31)], want: bad("'min_ram' value out of range, must not exceed 2147483647.") }],
    ['tag quota', { ops: [op('replace', 'tags', ['a', 'b', 'c'])], want: tooLarge('The limit has been exceeded on the number of allowed image tags. Attempted: 3, Maximum: 2'), limits: small }],
    ['property quota on a new key', { ops: [op('add', 'new', 'v')], want: tooLarge('The limit has been exceeded on the number of allowed image properties. Attempted: 3, Maximum: 2'), limits: small }],
    ['4-byte name', { ops: [op('replace', 'name', '😀')], want: bad("Name can't contain 4 byte unicode characters.") }],
    ['4-byte property value', { ops: [op('replace', 'os_distro', 'x😀')], want: bad("Os_Distro can't contain 4 byte unicode characters.") }],
    ['4-byte property name', { ops: [op('add', 'k😀', 'v')], want: bad("Property names can't contain 4 byte unicode.") }],
    ['4-byte tag', { ops: [op('replace', 'tags', ['😀'])], want: bad("Tags can't contain 4 byte unicode characters.") }],
  ];
  it.each(cases)('%s', (_name, c) => run(c));
});

describe('applyPatch: which error wins', () => {
  const cases: [string, Case][] = [
    ['a later read-only op beats an earlier conflict', { ops: [op('replace', 'nope', 'x'), op('replace', 'status', 'active')], want: forbidden("Attribute 'status' is read-only.") }],
    ['a later schema error beats an earlier conflict', { ops: [op('remove', 'nope'), op('add', 'foo', 5)], want: schema('5 is not of type') }],
    ['schema error before ownership', { ops: [op('replace', 'name', 5)], want: schema('5 is not of type'), ctx: ctxs.other }],
    ['owner rule before ownership', { ops: [op('replace', 'owner', 'proj2')], want: forbidden("Owner can't be updated by non admin.", 'detail'), ctx: ctxs.other }],
    ['publicize before ownership', { ops: [op('replace', 'visibility', 'public')], want: forbidden('publicize_image'), ctx: ctxs.other }],
    ['empty locations before ownership', { ops: [op('replace', 'locations', [])], want: forbidden('Cannot set locations to empty list.', 'detail'), ctx: ctxs.other }],
    ['ownership before invisible locations', { ops: [op('add', ['locations', '-'], loc)], want: forbidden('You do not own this image'), ctx: ctxs.other }],
    ['ops apply in order (403 first)', { ops: [op('remove', 'name'), op('replace', 'nope', 'x')], want: forbidden('may not be removed', 'detail') }],
    ['ops apply in order (409 first)', { ops: [op('replace', 'nope', 'x'), op('remove', 'name')], want: conflict('does not exist') }],
    ['v2.0 conflict before the format lock', { ops: [strict(op('add', 'disk_format', 'raw'))], want: conflict('Property disk_format already present.'), image: { status: 'active' } }],
    ['negative min_ram fails even if fixed later', { ops: [op('replace', 'min_ram', -1), op('replace', 'min_ram', 1)], want: bad('Cannot be a negative value') }],
    ['tag quota fails even if fixed later', { ops: [op('replace', 'tags', ['a', 'b', 'c']), op('replace', 'tags', ['a'])], want: tooLarge('image tags'), limits: small }],
    ['property quota before range', { ops: [op('add', 'new', 'v'), op('replace', 'min_ram', 2 ** 31)], want: tooLarge('image properties'), limits: small }],
    ['range before 4-byte', { ops: [op('replace', 'name', '😀'), op('replace', 'min_disk', 2 ** 31)], want: bad("'min_disk' value out of range") }],
  ];
  it.each(cases)('%s', (_name, c) => run(c));
});
