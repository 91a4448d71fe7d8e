/** Create / get / update / delete semantics (spec v2 §3, §5.1, §5.2, §5.4, §5.5). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../src/core/errors.js';
import { expectReject, NO_ABORT, op, sorted, type Harness } from './harness.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function imageTests(h: () => Harness): void {
  describe('create / get', () => {
    it('applies the documented defaults', async () => {
      const p = h().project('owner');
      const ctx = h().user(p);
      const img = await h().create(ctx, h().scope());
      expect(img.id).toMatch(UUID_RE);
      expect(img).toMatchObject({
        name: null,
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
        owner: p,
        os_hidden: false,
        os_hash_algo: null,
        os_hash_value: null,
        tags: [],
      });
      expect(img.created_at).toBe(img.updated_at);
      const got = await h().core.getImage(ctx, img.id, NO_ABORT);
      expect(got).toMatchObject({ id: img.id, owner: p, status: 'queued', visibility: 'shared' });
    });

    it('stores writable attributes, extra properties and de-duplicated tags', async () => {
      const ctx = h().user(h().project('owner'));
      const id = randomUUID();
      const img = await h().create(ctx, h().scope(), {
        id,
        name: 'full',
        disk_format: 'qcow2',
        container_format: 'bare',
        visibility: 'private',
        protected: false,
        min_ram: 512,
        min_disk: 3,
        os_hidden: true,
        tags: ['a', 'b', 'a'],
        os_distro: 'debian',
        description: 'x y',
      });
      expect(img.id).toBe(id);
      expect(img).toMatchObject({ name: 'full', disk_format: 'qcow2', container_format: 'bare', visibility: 'private' });
      expect(img).toMatchObject({ min_ram: 512, min_disk: 3, os_hidden: true });
      expect(sorted(img.tags)).toEqual(['a', 'b']);
      expect(img.properties).toMatchObject({ os_distro: 'debian', description: 'x y' });
      const got = await h().core.getImage(ctx, id, NO_ABORT);
      expect(sorted(got.tags)).toEqual(['a', 'b']);
      expect(got.properties).toMatchObject({ os_distro: 'debian', description: 'x y' });
    });

    it('unknown and over-long ids are NotFound', async () => {
      const ctx = h().user(h().project('x'));
      await expectReject(h().core.getImage(ctx, randomUUID(), NO_ABORT), NotFoundError);
      await expectReject(h().core.getImage(ctx, `${randomUUID()}0`, NO_ABORT), NotFoundError);
      await expectReject(h().core.getImage(h().admin(), randomUUID(), NO_ABORT), NotFoundError);
    });

    it.each([
      ['status', 'active'],
      ['size', 5],
      ['checksum', 'abc'],
      ['created_at', '2020-01-01T00:00:00Z'],
      ['updated_at', '2020-01-01T00:00:00Z'],
      ['virtual_size', 5],
      ['self', '/v2/images/x'],
      ['file', '/v2/images/x/file'],
      ['schema', '/v2/schemas/image'],
    ])('read-only attribute %s on create → Forbidden', async (key, value) => {
      const ctx = h().user(h().project('o'));
      await expectReject(h().create(ctx, h().scope(), { [key]: value }), ForbiddenError, `Attribute '${key}' is read-only.`);
    });

    it.each<[string, unknown]>([
      ['os_glance_foo', 'x'],
      ['location', 'x'],
      ['deleted', 'x'],
      ['deleted_at', 'x'],
      ['locations', []],
    ])('reserved key %s on create → Forbidden', async (key, value) => {
      const ctx = h().user(h().project('o'));
      await expectReject(h().create(ctx, h().scope(), { [key]: value }), ForbiddenError, `Attribute '${key}' is reserved.`);
    });

    it.each<[string, Record<string, unknown>]>([
      ['a 256-character name', { name: 'n'.repeat(256) }],
      ['a non-string extra property', { foo: 5 }],
      ['an unknown disk_format', { disk_format: 'bogus' }],
      ['a bogus status', { status: 'bogus' }],
      ['a non-UUID id', { id: 'not-a-uuid' }],
      ['a non-integer min_ram', { min_ram: 'x' }],
      ['a negative min_ram', { min_ram: -1 }],
      ['a negative min_disk', { min_disk: -1 }],
      ['min_ram beyond the DB range', { min_ram: 2147483648 }],
      ['a 256-character tag', { tags: ['t'.repeat(256)] }],
      ['a non-boolean protected', { protected: 'yes' }],
      ['a 256-character extra key', { ['k'.repeat(256)]: 'v' }],
      ['a 4-byte character in the name', { name: 'emoji \u{1F600}' }],
    ])('%s → BadRequest', async (_what, input) => {
      const ctx = h().user(h().project('o'));
      await expectReject(h().create(ctx, h().scope(), input), BadRequestError);
    });

    it('non-admins may not create public images or images of other projects; community is allowed', async () => {
      const p = h().project('o');
      const ctx = h().user(p);
      await expectReject(h().create(ctx, h().scope(), { visibility: 'public' }), ForbiddenError);
      await expectReject(h().create(ctx, h().scope(), { owner: h().project('other') }), ForbiddenError);
      await expectReject(h().create(ctx, h().scope(), { owner: null }), ForbiddenError);
      const community = await h().create(ctx, h().scope(), { visibility: 'community' });
      expect(community).toMatchObject({ visibility: 'community', owner: p });
      const other = h().project('other');
      const byAdmin = await h().create(h().admin(), h().scope(), { visibility: 'public', owner: other });
      expect(byAdmin).toMatchObject({ visibility: 'public', owner: other });
    });
  });

  describe('property names that are also Object.prototype members', () => {
    it('__proto__, constructor, toString are ordinary extra properties: stored, read, filtered, patched', async () => {
      const ctx = h().user(h().project('proto'));
      const scope = h().scope();
      const input = JSON.parse('{"__proto__": "p", "constructor": "c", "toString": "t"}') as Record<string, unknown>;
      const img = await h().create(ctx, scope, input);
      for (const image of [img, await h().core.getImage(ctx, img.id, NO_ABORT)]) {
        expect(Object.hasOwn(image.properties, '__proto__')).toBe(true);
        expect([image.properties['__proto__'], image.properties.constructor, image.properties.toString]).toEqual(['p', 'c', 't']);
      }
      const filter = JSON.parse('{"__proto__": "p"}') as Record<string, string>;
      expect(await h().listIds(ctx, scope, { properties: filter })).toEqual([img.id]);
      const out = await h().patch(ctx, img.id, op('replace', '__proto__', 'p2'), op('remove', 'constructor'));
      expect(Object.hasOwn(out.properties, '__proto__')).toBe(true);
      expect(out.properties['__proto__']).toBe('p2');
      expect(Object.hasOwn(out.properties, 'constructor')).toBe(false);
      await expectReject(h().patch(ctx, img.id, op('remove', 'valueOf')), ConflictError);
      await expectReject(h().patch(ctx, img.id, op('replace', 'hasOwnProperty', 'x')), ConflictError);
    });
  });

  describe('update', () => {
    it('replace / add / remove, persisted and bumping updated_at', async () => {
      const ctx = h().user(h().project('o'));
      const img = await h().create(ctx, h().scope(), { name: 'before', gone: 'x' });
      const out = await h().patch(
        ctx,
        img.id,
        op('replace', 'name', 'after'),
        op('add', 'extra', 'v1'),
        op('remove', 'gone'),
        op('replace', 'min_ram', 128),
        op('add', 'visibility', 'private'),
      );
      expect(out).toMatchObject({ name: 'after', min_ram: 128, visibility: 'private' });
      expect(out.properties.extra).toBe('v1');
      expect(out.properties).not.toHaveProperty('gone');
      expect(out.updated_at).toBeGreaterThanOrEqual(img.updated_at);
      const got = await h().core.getImage(ctx, img.id, NO_ABORT);
      expect(got).toMatchObject({ name: 'after', min_ram: 128, visibility: 'private' });
      expect(got.properties.extra).toBe('v1');
      expect(got.properties).not.toHaveProperty('gone');
    });

    it('an empty op list changes nothing, not even updated_at', async () => {
      const ctx = h().user(h().project('o'));
      const img = await h().create(ctx, h().scope(), { name: 'same' });
      const out = await h().patch(ctx, img.id);
      expect(out.updated_at).toBe(img.updated_at);
      expect((await h().core.getImage(ctx, img.id, NO_ABORT)).updated_at).toBe(img.updated_at);
    });

    it('v2.1 add overwrites an existing extra property; v2.0 (strict) add of anything existing → Conflict', async () => {
      const ctx = h().user(h().project('o'));
      const img = await h().create(ctx, h().scope(), { k: 'v' });
      expect((await h().patch(ctx, img.id, op('add', 'k', 'w'))).properties.k).toBe('w');
      await expectReject(h().patch(ctx, img.id, op('add', 'k', 'z', true)), ConflictError);
      await expectReject(h().patch(ctx, img.id, op('add', 'name', 'z', true)), ConflictError);
      expect((await h().patch(ctx, img.id, op('add', 'fresh', 'f', true))).properties.fresh).toBe('f');
    });

    it('replace / remove of a missing extra property → Conflict; remove of a base attribute → Forbidden', async () => {
      const ctx = h().user(h().project('o'));
      const img = await h().create(ctx, h().scope());
      await expectReject(h().patch(ctx, img.id, op('replace', 'nope', 'x')), ConflictError);
      await expectReject(h().patch(ctx, img.id, op('remove', 'nope')), ConflictError);
      for (const base of ['name', 'tags', 'min_ram', 'visibility', 'owner']) {
        await expectReject(h().patch(ctx, img.id, op('remove', base)), ForbiddenError);
      }
    });

    it.each(['status', 'size', 'checksum', 'created_at', 'updated_at', 'virtual_size', 'id', 'os_hash_value', 'self'])(
      'replace of read-only %s → Forbidden',
      async (key) => {
        const ctx = h().user(h().project('o'));
        const img = await h().create(ctx, h().scope());
        await expectReject(h().patch(ctx, img.id, op('replace', key, 'x')), ForbiddenError);
      },
    );

    it('reserved keys → Forbidden; schema violations and negatives → BadRequest', async () => {
      const ctx = h().user(h().project('o'));
      const img = await h().create(ctx, h().scope());
      await expectReject(h().patch(ctx, img.id, op('add', 'os_glance_x', 'y')), ForbiddenError);
      await expectReject(h().patch(ctx, img.id, op('add', 'deleted', 'y')), ForbiddenError);
      await expectReject(h().patch(ctx, img.id, op('replace', 'name', 'n'.repeat(256))), BadRequestError);
      await expectReject(h().patch(ctx, img.id, op('replace', 'min_ram', -5)), BadRequestError);
      await expectReject(h().patch(ctx, img.id, op('replace', 'visibility', 'bogus')), BadRequestError);
      await expectReject(h().patch(ctx, img.id, op('add', 'extra', 5)), BadRequestError);
      await expectReject(h().patch(ctx, img.id, op('replace', 'tags', ['t'.repeat(256)])), BadRequestError);
    });

    it('tags are replaced as a whole and de-duplicated', async () => {
      const ctx = h().user(h().project('o'));
      const img = await h().create(ctx, h().scope(), { tags: ['old'] });
      const out = await h().patch(ctx, img.id, op('replace', 'tags', ['n1', 'n2', 'n1']));
      expect(sorted(out.tags)).toEqual(['n1', 'n2']);
    });

    it('is atomic: one failing op leaves the image untouched', async () => {
      const ctx = h().user(h().project('o'));
      const img = await h().create(ctx, h().scope(), { name: 'keep' });
      await expectReject(h().patch(ctx, img.id, op('replace', 'name', 'changed'), op('remove', 'missing')), ConflictError);
      const got = await h().core.getImage(ctx, img.id, NO_ABORT);
      expect(got.name).toBe('keep');
      expect(got.updated_at).toBe(img.updated_at);
    });

    it('owner and public visibility can be set by admins only', async () => {
      const p = h().project('o');
      const ctx = h().user(p);
      const img = await h().create(ctx, h().scope());
      await expectReject(h().patch(ctx, img.id, op('replace', 'owner', h().project('x'))), ForbiddenError);
      await expectReject(h().patch(ctx, img.id, op('replace', 'visibility', 'public')), ForbiddenError);
      expect((await h().patch(ctx, img.id, op('replace', 'visibility', 'community'))).visibility).toBe('community');
      const newOwner = h().project('new');
      const out = await h().patch(h().admin(), img.id, op('replace', 'owner', newOwner), op('replace', 'visibility', 'public'));
      expect(out).toMatchObject({ owner: newOwner, visibility: 'public' });
      // The former owner can still see it (public) but no longer change it.
      await expectReject(h().patch(ctx, img.id, op('replace', 'name', 'x')), ForbiddenError);
    });
  });

  describe('delete', () => {
    it('removes the image from every read; the id is never reused', async () => {
      const ctx = h().user(h().project('o'));
      const scope = h().scope();
      const img = await h().create(ctx, scope, { name: 'doomed' });
      await h().core.deleteImage(ctx, img.id, NO_ABORT);
      await expectReject(h().core.getImage(ctx, img.id, NO_ABORT), NotFoundError);
      await expectReject(h().core.getImage(h().admin(), img.id, NO_ABORT), NotFoundError);
      await expectReject(h().core.deleteImage(ctx, img.id, NO_ABORT), NotFoundError);
      await expectReject(h().patch(ctx, img.id, op('replace', 'name', 'x')), NotFoundError);
      await expectReject(h().core.addTag(ctx, img.id, 't', NO_ABORT), NotFoundError);
      expect(await h().listIds(ctx, scope)).toEqual([]);
      expect(await h().listIds(h().admin(), scope, { visibility: 'all' })).toEqual([]);
      await expectReject(h().create(ctx, scope, { id: img.id }), ConflictError);
      await expectReject(h().create(h().admin(), scope, { id: img.id }), ConflictError);
    });

    it('a live id is taken as well', async () => {
      const ctx = h().user(h().project('o'));
      const img = await h().create(ctx, h().scope());
      await expectReject(h().create(ctx, h().scope(), { id: img.id }), ConflictError);
    });

    it('protected images cannot be deleted, by the owner or an admin, until unprotected', async () => {
      const ctx = h().user(h().project('o'));
      const img = await h().create(ctx, h().scope(), { protected: true });
      await expectReject(h().core.deleteImage(ctx, img.id, NO_ABORT), ForbiddenError);
      await expectReject(h().core.deleteImage(h().admin(), img.id, NO_ABORT), ForbiddenError);
      expect((await h().core.getImage(ctx, img.id, NO_ABORT)).status).toBe('queued');
      await h().patch(ctx, img.id, op('replace', 'protected', false));
      await h().core.deleteImage(ctx, img.id, NO_ABORT);
      await expectReject(h().core.getImage(ctx, img.id, NO_ABORT), NotFoundError);
    });

    it('admins may delete anyone\'s image', async () => {
      const ctx = h().user(h().project('o'));
      const img = await h().create(ctx, h().scope(), { visibility: 'private' });
      await h().core.deleteImage(h().admin(), img.id, NO_ABORT);
      await expectReject(h().core.getImage(ctx, img.id, NO_ABORT), NotFoundError);
    });
  });

  describe('tags', () => {
    it('add is idempotent, delete removes, deleting a missing tag → NotFound', async () => {
      const ctx = h().user(h().project('o'));
      const img = await h().create(ctx, h().scope());
      await h().core.addTag(ctx, img.id, 'x', NO_ABORT);
      await h().core.addTag(ctx, img.id, 'x', NO_ABORT);
      await h().core.addTag(ctx, img.id, 'sp ace', NO_ABORT);
      const got = await h().core.getImage(ctx, img.id, NO_ABORT);
      expect(sorted(got.tags)).toEqual(['sp ace', 'x']);
      expect(got.updated_at).toBeGreaterThanOrEqual(img.updated_at);
      await h().core.deleteTag(ctx, img.id, 'x', NO_ABORT);
      expect((await h().core.getImage(ctx, img.id, NO_ABORT)).tags).toEqual(['sp ace']);
      await expectReject(h().core.deleteTag(ctx, img.id, 'x', NO_ABORT), NotFoundError);
      await expectReject(h().core.deleteTag(ctx, img.id, 'X', NO_ABORT), NotFoundError);
    });

    it('a 256-character tag → BadRequest; unknown image → NotFound', async () => {
      const ctx = h().user(h().project('o'));
      const img = await h().create(ctx, h().scope());
      await expectReject(h().core.addTag(ctx, img.id, 't'.repeat(256), NO_ABORT), BadRequestError);
      await h().core.addTag(ctx, img.id, 't'.repeat(255), NO_ABORT);
      await expectReject(h().core.addTag(ctx, randomUUID(), 'x', NO_ABORT), NotFoundError);
      await expectReject(h().core.deleteTag(ctx, randomUUID(), 'x', NO_ABORT), NotFoundError);
    });
  });
}
