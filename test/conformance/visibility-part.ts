/**
 * Who sees what, and who may change it (spec v2 §5.3 visibility table, §13.3, §13.4, §13.5 legacy
 * rows). Invisible images are always NotFound, never Forbidden.
 */
import type { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../src/core/context.js';
import { ForbiddenError, NotFoundError } from '../../src/core/errors.js';
import type { Image } from '../../src/core/image.js';
import type { MemberStatusFilter, ListVisibility } from '../../src/core/query.js';
import { bytesStream, expectReject, NO_ABORT, op, sorted, type Harness } from './harness.js';

type Caller = 'owner' | 'pending' | 'accepted' | 'rejected' | 'stranger' | 'admin';
type Kind = 'private' | 'shared' | 'community' | 'public';

export function visibilityTests(h: () => Harness): void {
  describe('visibility', () => {
    const scope = { value: '' };
    const img = {} as Record<Kind, Image>;
    const ctx = {} as Record<Caller, RequestContext>;
    const projects = {} as Record<Caller, string>;

    beforeAll(async () => {
      scope.value = h().scope();
      for (const c of ['owner', 'pending', 'accepted', 'rejected', 'stranger'] as const) {
        projects[c] = h().project(c);
        ctx[c] = h().user(projects[c]);
      }
      ctx.admin = h().admin();
      projects.admin = ctx.admin.projectId!;
      const o = ctx.owner;
      img.private = await h().create(o, scope.value, { name: 'private', visibility: 'private' });
      img.shared = await h().create(o, scope.value, { name: 'shared', visibility: 'shared' });
      img.community = await h().create(o, scope.value, { name: 'community', visibility: 'community' });
      img.public = await h().create(ctx.admin, scope.value, { name: 'public', visibility: 'public', owner: projects.owner });
      for (const m of ['pending', 'accepted', 'rejected'] as const) {
        await h().core.addMember(o, img.shared.id, projects[m], NO_ABORT);
        if (m !== 'pending') await h().core.updateMember(ctx[m], img.shared.id, projects[m], m, NO_ABORT);
      }
    });

    // Per spec v2 §13.3: members see a shared image whatever their status.
    const canSee: Record<Kind, Caller[]> = {
      private: ['owner', 'admin'],
      shared: ['owner', 'pending', 'accepted', 'rejected', 'admin'],
      community: ['owner', 'pending', 'accepted', 'rejected', 'stranger', 'admin'],
      public: ['owner', 'pending', 'accepted', 'rejected', 'stranger', 'admin'],
    };
    const callers: Caller[] = ['owner', 'pending', 'accepted', 'rejected', 'stranger', 'admin'];
    const kinds: Kind[] = ['private', 'shared', 'community', 'public'];
    const cases = kinds.flatMap((k) => callers.map((c) => [k, c, canSee[k].includes(c)] as const));

    it.each(cases)('getImage of the %s image by %s → visible: %s', async (kind, caller, visible) => {
      const p = h().core.getImage(ctx[caller], img[kind].id, NO_ABORT);
      if (visible) expect((await p).id).toBe(img[kind].id);
      else await expectReject(p, NotFoundError);
    });

    const names = (list: string[]): string[] => sorted(list.map((id) => kinds.find((k) => img[k].id === id) ?? id));
    const list = async (caller: Caller, visibility?: ListVisibility, member_status?: MemberStatusFilter): Promise<string[]> =>
      names(
        await h().listIds(ctx[caller], scope.value, {
          ...(visibility !== undefined ? { visibility } : {}),
          ...(member_status !== undefined ? { member_status } : {}),
        }),
      );

    it.each<[Caller, ListVisibility | undefined, MemberStatusFilter | undefined, Kind[]]>([
      ['owner', undefined, undefined, ['community', 'private', 'public', 'shared']],
      // member_status only narrows other projects' shared images, never the caller's own.
      ['owner', undefined, 'rejected', ['community', 'private', 'public', 'shared']],
      ['owner', 'shared', 'pending', ['shared']],
      ['accepted', undefined, undefined, ['public', 'shared']],
      ['pending', undefined, undefined, ['public']],
      ['pending', undefined, 'pending', ['public', 'shared']],
      ['pending', undefined, 'all', ['public', 'shared']],
      ['pending', undefined, 'accepted', ['public']],
      ['rejected', undefined, undefined, ['public']],
      ['rejected', undefined, 'rejected', ['public', 'shared']],
      ['accepted', undefined, 'rejected', ['public']],
      ['stranger', undefined, undefined, ['public']],
      ['stranger', 'community', undefined, ['community']],
      ['stranger', 'all', undefined, ['community', 'public']],
      ['stranger', 'private', undefined, []],
      ['stranger', 'shared', undefined, []],
      ['owner', 'private', undefined, ['private']],
      ['owner', 'shared', undefined, ['shared']],
      ['owner', 'community', undefined, ['community']],
      ['owner', 'public', undefined, ['public']],
      ['accepted', 'shared', undefined, ['shared']],
      ['pending', 'shared', 'pending', ['shared']],
      ['accepted', 'all', undefined, ['community', 'public', 'shared']],
      // Admins see everything except other projects' community images by default.
      ['admin', undefined, undefined, ['private', 'public', 'shared']],
      ['admin', 'all', undefined, ['community', 'private', 'public', 'shared']],
      ['admin', 'community', undefined, ['community']],
      ['admin', 'private', undefined, ['private']],
    ])('list as %s, visibility=%s, member_status=%s → %j', async (caller, visibility, memberStatus, expected) => {
      expect(await list(caller, visibility, memberStatus)).toEqual(expected);
    });

    it('only the owner (or an admin) may mutate; visible non-owners get Forbidden', async () => {
      for (const caller of ['accepted', 'pending', 'stranger'] as const) {
        const c = ctx[caller];
        const id = img.public.id;
        await expectReject(h().patch(c, id, op('replace', 'name', 'x')), ForbiddenError);
        await expectReject(h().core.deleteImage(c, id, NO_ABORT), ForbiddenError);
        await expectReject(h().core.addTag(c, id, 't', NO_ABORT), ForbiddenError);
        await expectReject(h().core.deleteTag(c, id, 't', NO_ABORT), ForbiddenError);
        await expectReject(h().core.deactivateImage(c, id, NO_ABORT), ForbiddenError);
        await expectReject(h().core.reactivateImage(c, id, NO_ABORT), ForbiddenError);
        await expectReject(h().core.uploadImageData(c, id, bytesStream(Buffer.from('x')), {}, NO_ABORT), ForbiddenError);
        await expectReject(h().core.stageImageData(c, id, bytesStream(Buffer.from('x')), {}, NO_ABORT), ForbiddenError);
      }
      // Members of the shared image cannot change it either.
      await expectReject(h().patch(ctx.accepted, img.shared.id, op('replace', 'name', 'x')), ForbiddenError);
      await expectReject(h().core.addTag(ctx.pending, img.shared.id, 't', NO_ABORT), ForbiddenError);
      await expectReject(h().core.deleteImage(ctx.rejected, img.shared.id, NO_ABORT), ForbiddenError);
      expect((await h().core.getImage(ctx.owner, img.public.id, NO_ABORT)).name).toBe('public');
      expect((await h().core.getImage(ctx.owner, img.public.id, NO_ABORT)).tags).toEqual([]);
    });

    it('callers who cannot see the image get NotFound from every call, never Forbidden', async () => {
      const s = ctx.stranger;
      for (const id of [img.private.id, img.shared.id]) {
        const data = (): Readable => bytesStream(Buffer.from('x'));
        await expectReject(h().patch(s, id, op('replace', 'name', 'x')), NotFoundError);
        await expectReject(h().core.deleteImage(s, id, NO_ABORT), NotFoundError);
        await expectReject(h().core.addTag(s, id, 't', NO_ABORT), NotFoundError);
        await expectReject(h().core.deleteTag(s, id, 't', NO_ABORT), NotFoundError);
        await expectReject(h().core.deactivateImage(s, id, NO_ABORT), NotFoundError);
        await expectReject(h().core.reactivateImage(s, id, NO_ABORT), NotFoundError);
        await expectReject(h().core.uploadImageData(s, id, data(), {}, NO_ABORT), NotFoundError);
        await expectReject(h().core.stageImageData(s, id, data(), {}, NO_ABORT), NotFoundError);
        await expectReject(h().core.openImageData(s, id, null, NO_ABORT), NotFoundError);
        await expectReject(h().core.importImage(s, id, { method: { name: 'glance-direct' } }, NO_ABORT), NotFoundError);
        await expectReject(h().core.listMembers(s, id, NO_ABORT), NotFoundError);
        await expectReject(h().core.addMember(s, id, projects.stranger, NO_ABORT), NotFoundError);
        await expectReject(h().core.getMember(s, id, projects.accepted, NO_ABORT), NotFoundError);
        await expectReject(h().core.listImageTasks(s, id, NO_ABORT), NotFoundError);
      }
      const accepted = await h().core.getImage(ctx.accepted, img.shared.id, NO_ABORT);
      expect(accepted.name).toBe('shared');
    });

    it('an admin may change any image', async () => {
      const out = await h().patch(ctx.admin, img.private.id, op('add', 'by_admin', 'yes'));
      expect(out.properties.by_admin).toBe('yes');
      await h().core.addTag(ctx.admin, img.community.id, 'admin-tag', NO_ABORT);
      expect((await h().core.getImage(ctx.owner, img.community.id, NO_ABORT)).tags).toContain('admin-tag');
    });

    it('an image without owner is visible to everyone and mutable only by admins', async () => {
      const orphan = await h().create(h().admin(), h().scope(), { owner: null, visibility: 'private' });
      expect(orphan.owner).toBeNull();
      const s = h().user(h().project('anyone'));
      expect((await h().core.getImage(s, orphan.id, NO_ABORT)).id).toBe(orphan.id);
      await expectReject(h().patch(s, orphan.id, op('replace', 'name', 'x')), ForbiddenError);
      expect((await h().patch(h().admin(), orphan.id, op('replace', 'name', 'ok'))).name).toBe('ok');
    });
  });
}
