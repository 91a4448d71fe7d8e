import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../src/core/context.js';
import type { ImageCreateInput } from '../../src/core/image.js';
import { validateCreate, type ImageLimits } from '../../src/core/image-rules.js';
import { makePolicy } from '../../src/core/policy.js';
import { ctxs, expectCoreError, FORMATS, ID, LIMITS, type Expected } from './fixtures.js';

const policy = makePolicy();
const create = (body: unknown, ctx: RequestContext = ctxs.owner, limits: ImageLimits = LIMITS) =>
  validateCreate(body as ImageCreateInput, ctx, policy, limits, FORMATS);

const long = 'k'.repeat(256);
const small: ImageLimits = { ...LIMITS, tagQuota: 2, propertyQuota: 2 };
const forbidden = (message: string, form: Expected['form'] = 'explanation'): Expected => ({ status: 403, message, form });
const bad = (message: string): Expected => ({ status: 400, message });
const tooLarge = (message: string): Expected => ({ status: 413, message });
const schema = (m: string) => bad(`Provided object does not match schema 'image': ${m}`);

type Row = [name: string, body: unknown, want: Expected, ctx?: RequestContext, limits?: ImageLimits];

describe('validateCreate: each check', () => {
  const rows: Row[] = [
    ['array body', [], bad('Unexpected body type. Expected list/dict.')],
    ['read-only context', {}, forbidden('Read-only access'), ctxs.anon],
    ['#2 self', { self: '/x' }, forbidden("Attribute 'self' is read-only.")],
    ['#2 file', { file: '/x' }, forbidden("Attribute 'file' is read-only.")],
    ['#2 schema', { schema: '/x' }, forbidden("Attribute 'schema' is read-only.")],
    ['#2 stores', { stores: 'a' }, forbidden("Attribute 'stores' is read-only.")],
    ['#2 direct_url', { direct_url: 'x' }, forbidden("Attribute 'direct_url' is read-only.")],
    ['#3 name type', { name: 5 }, schema("5 is not of type 'null', 'string'")],
    ['#3 name too long', { name: 'n'.repeat(256) }, bad("' is too long")],
    ['#3 owner too long', { owner: 'o'.repeat(256) }, bad("' is too long")],
    ['#3 extra not string', { foo: 5 }, schema("5 is not of type 'string'")],
    ['#3 extra null', { foo: null }, schema("None is not of type 'string'")],
    ['#3 status enum', { status: 'bogus' }, schema("'bogus' is not one of")],
    ['#3 disk_format enum', { disk_format: 'qcow3' }, schema("'qcow3' is not one of [None, 'ami'")],
    ['#3 container_format enum', { container_format: 'zip' }, schema("'zip' is not one of [None, 'ami'")],
    ['#3 visibility enum', { visibility: 'all' }, schema("'all' is not one of")],
    ['#3 protected type', { protected: 'true' }, schema("'true' is not of type 'boolean'")],
    ['#3 os_hidden type', { os_hidden: 1 }, schema("1 is not of type 'boolean'")],
    ['#3 min_ram type', { min_ram: '1' }, schema("'1' is not of type 'integer'")],
    ['#3 min_disk type', { min_disk: 1.5 }, schema("1.5 is not of type 'integer'")],
    ['#3 id pattern', { id: 'not-a-uuid' }, schema("'not-a-uuid' does not match")],
    ['#3 tags type', { tags: 'a' }, schema("'a' is not of type 'array'")],
    ['#3 tag too long', { tags: ['t'.repeat(256)] }, bad("' is too long")],
    ['#3 kernel_id pattern', { kernel_id: 'abc' }, schema("'abc' does not match")],
    ['#3 ramdisk_id type', { ramdisk_id: 1 }, schema("1 is not of type 'null', 'string'")],
    ['#3 os_distro null', { os_distro: null }, schema("None is not of type 'string'")],
    ['#3 instance_uuid type', { instance_uuid: 1 }, schema("1 is not of type 'string'")],
    ['#3 cinder policy enum', { cinder_encryption_key_deletion_policy: 'x' }, schema("'x' is not one of ['on_image_deletion', 'do_not_delete']")],
    ['#3 created_at type', { created_at: 5 }, schema("5 is not of type 'string'")],
    ['#3 os_hash_value type', { os_hash_value: 5 }, schema("5 is not of type 'null', 'string'")],
    ['#4 long extra key', { [long]: 'v' }, bad('Custom property should not be greater than 255 characters.')],
    ['#5 os_glance prefix', { os_glance_import_task: 'x' }, forbidden("Attribute 'os_glance_import_task' is reserved.", 'detail')],
    ['#5 location', { location: 'x' }, forbidden("Attribute 'location' is reserved.", 'detail')],
    ['#5 deleted', { deleted: 'x' }, forbidden("Attribute 'deleted' is reserved.", 'detail')],
    ['#5 deleted_at', { deleted_at: 'x' }, forbidden("Attribute 'deleted_at' is reserved.", 'detail')],
    ['#6 publicize', { visibility: 'public' }, forbidden('You are not authorized to complete publicize_image action.')],
    ['#6 foreign owner', { owner: 'proj2' }, forbidden("You are not permitted to create images owned by 'proj2'.")],
    ['#6 explicit null owner', { owner: null }, forbidden("You are not permitted to create images owned by 'None'.")],
    ['#6 empty owner', { owner: '' }, forbidden("You are not permitted to create images owned by ''.")],
    ['#6 caller without project', {}, forbidden("You are not permitted to create images owned by 'None'."), ctxs.noProject],
    ['#8 status', { status: 'active' }, forbidden("Attribute 'status' is read-only.")],
    ['#8 created_at', { created_at: 'x' }, forbidden("Attribute 'created_at' is read-only.")],
    ['#8 checksum', { checksum: 'x' }, forbidden("Attribute 'checksum' is read-only.")],
    ['#8 size', { size: 5 }, forbidden("Attribute 'size' is read-only.")],
    ['#8 virtual_size', { virtual_size: null }, forbidden("Attribute 'virtual_size' is read-only.")],
    ['#8 os_hash_algo (§15 #2 fixed)', { os_hash_algo: 'sha512' }, forbidden("Attribute 'os_hash_algo' is read-only.")],
    ['#8 os_hash_value (§15 #2 fixed)', { os_hash_value: 'ab' }, forbidden("Attribute 'os_hash_value' is read-only.")],
    ['#9 locations', { locations: [] }, forbidden("Attribute 'locations' is reserved.")],
    ['#10 tag quota', { tags: ['a', 'b', 'c'] }, tooLarge('The limit has been exceeded on the number of allowed image tags. Attempted: 3, Maximum: 2'), ctxs.owner, small],
    ['#11 negative min_ram', { min_ram: -1 }, bad("Invalid value '-1' for parameter 'min_ram': Cannot be a negative value")],
    ['#11 negative min_disk', { min_disk: -5 }, bad("Invalid value '-5' for parameter 'min_disk': Cannot be a negative value")],
    ['#12 property quota', { a: '1', b: '2', c: '3' }, tooLarge('The limit has been exceeded on the number of allowed image properties. Attempted: 3, Maximum: 2'), ctxs.owner, small],
    ['#13 min_ram range', { min_ram: 2147483648 }, bad("'min_ram' value out of range, must not exceed 2147483647.")],
    ['#13 min_disk range', { min_disk: 2 ** 40 }, bad("'min_disk' value out of range, must not exceed 2147483647.")],
    ['#14 4-byte name', { name: 'emoji 😀' }, bad("Name can't contain 4 byte unicode characters.")],
    ['#14 4-byte property value', { os_distro: '😀' }, bad("Os_Distro can't contain 4 byte unicode characters.")],
    ['#14 4-byte property name', { 'k😀': 'v' }, bad("Property names can't contain 4 byte unicode.")],
    ['#14 4-byte tag', { tags: ['😀'] }, bad("Tags can't contain 4 byte unicode characters.")],
    ['#14 4-byte owner (admin)', { owner: '😀' }, bad("Owner can't contain 4 byte unicode characters."), ctxs.admin],
  ];
  it.each(rows)('%s', (_name, body, want, ctx, limits) => {
    expectCoreError(() => create(body, ctx, limits), want);
  });
});

describe('validateCreate: first failing check wins', () => {
  const rows: Row[] = [
    ['read-only context before link keys', { self: 'x' }, forbidden('Read-only access'), ctxs.anon],
    ['link keys in Glance order', { stores: 'a', direct_url: 'b' }, forbidden("Attribute 'direct_url' is read-only.")],
    ['link key before schema', { schema: 'x', name: 5 }, forbidden("Attribute 'schema' is read-only.")],
    ['schema before key length', { [long]: 5 }, schema("5 is not of type 'string'")],
    ['schema before read-only status', { status: 'bogus', created_at: 'x' }, schema("'bogus' is not one of")],
    ['#4/#5 per key: long key first', { [long]: 'v', os_glance_x: 'v' }, bad('Custom property should not be greater than 255 characters.')],
    ['#4/#5 per key: reserved key first', { os_glance_x: 'v', [long]: 'v' }, forbidden("Attribute 'os_glance_x' is reserved.", 'detail')],
    ['reserved before policy', { deleted: 'x', visibility: 'public' }, forbidden("Attribute 'deleted' is reserved.", 'detail')],
    ['publicize before owner', { visibility: 'public', owner: 'proj2' }, forbidden('publicize_image')],
    ['policy before read-only attributes', { status: 'active', owner: 'proj2' }, forbidden('owned by')],
    ['read-only before reserved locations', { locations: [], created_at: 'x' }, forbidden("Attribute 'created_at' is read-only.")],
    ['reserved locations before tag quota', { locations: [], tags: ['a', 'b', 'c'] }, forbidden("'locations' is reserved"), ctxs.owner, small],
    ['tag quota before negative', { tags: ['a', 'b', 'c'], min_ram: -1 }, tooLarge('image tags'), ctxs.owner, small],
    ['negative before property quota', { a: '1', b: '2', c: '3', min_disk: -1 }, bad('Cannot be a negative value'), ctxs.owner, small],
    ['min_ram negative before min_disk negative', { min_disk: -2, min_ram: -1 }, bad("parameter 'min_ram'")],
    ['property quota before range', { a: '1', b: '2', c: '3', min_ram: 2 ** 31 }, tooLarge('image properties'), ctxs.owner, small],
    ['range: min_disk before min_ram', { min_ram: 2 ** 31, min_disk: 2 ** 31 }, bad("'min_disk' value out of range")],
    ['range before 4-byte', { min_ram: 2 ** 31, name: '😀' }, bad('out of range')],
  ];
  it.each(rows)('%s', (_name, body, want, ctx, limits) => {
    expectCoreError(() => create(body, ctx, limits), want);
  });
});

describe('validateCreate: accepted bodies', () => {
  it('applies the defaults to {}', () => {
    expect(create({})).toEqual({
      id: undefined, name: null, disk_format: null, container_format: null, visibility: 'shared',
      protected: false, min_ram: 0, min_disk: 0, owner: 'proj1', os_hidden: false, properties: {}, tags: [],
    });
  });

  it('keeps every supplied field, property order and first-seen tag order', () => {
    const fields = create({
      id: ID, name: 'img', disk_format: 'raw', container_format: 'bare', visibility: 'community',
      protected: true, min_ram: 512, min_disk: 2147483647, owner: 'proj1', os_hidden: true,
      zeta: 'z', os_distro: 'debian', alpha: 'a', tags: ['b', 'a', 'b', 'c'],
    });
    expect(fields).toMatchObject({ id: ID, visibility: 'community', min_disk: 2147483647, tags: ['b', 'a', 'c'] });
    expect(Object.keys(fields.properties)).toEqual(['zeta', 'os_distro', 'alpha']);
  });

  it.each([
    ['admin may publicize and give the image away', { visibility: 'public', owner: 'proj2' }, { visibility: 'public', owner: 'proj2' }],
    ['admin may create an unowned image', { owner: null }, { owner: null }],
    ['an empty owner is stored as null', { owner: '' }, { owner: null }],
  ])('%s', (_name, body, want) => {
    expect(create(body, ctxs.admin)).toMatchObject(want);
  });

  it('stores null kernel_id/ramdisk_id as absent and keeps valid ones', () => {
    const fields = create({ kernel_id: null, ramdisk_id: ID.toUpperCase() });
    expect(fields.properties).toEqual({ ramdisk_id: ID.toUpperCase() });
  });

  it('counts tags after de-duplication and honours unlimited quotas', () => {
    expect(create({ tags: ['a', 'a', 'b'] }, ctxs.owner, small).tags).toEqual(['a', 'b']);
    const unlimited = { ...LIMITS, tagQuota: -1, propertyQuota: -1 };
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`p${i}`, 'v']));
    expect(Object.keys(create({ ...many, tags: Object.keys(many) }, ctxs.owner, unlimited).properties)).toHaveLength(300);
  });

  it('keeps "__proto__" an ordinary property', () => {
    const body = JSON.parse('{"__proto__": "x", "constructor": "y"}') as ImageCreateInput;
    const fields = create(body);
    expect(Object.getPrototypeOf(fields.properties)).toBe(Object.prototype);
    expect(Object.entries(fields.properties)).toEqual([['__proto__', 'x'], ['constructor', 'y']]);
  });

  it('does not modify the body', () => {
    const body = { name: 'x', tags: ['a', 'a'], foo: 'bar' };
    const copy = structuredClone(body);
    create(body);
    expect(body).toEqual(copy);
  });

  it('accepts a 255-character extra key and 255-character values', () => {
    const key = 'k'.repeat(255);
    expect(create({ [key]: 'v'.repeat(5000), name: 'n'.repeat(255) }).properties[key]).toHaveLength(5000);
  });
});
