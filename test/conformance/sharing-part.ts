/** Image members (spec v2 §9, §13.4 member rows). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../src/core/errors.js';
import { expectReject, NO_ABORT, op, sorted, type Harness } from './harness.js';

export function sharingTests(h: () => Harness): void {
  describe('members', () => {
    async function sharedImage() {
      const owner = h().project('owner');
      const o = h().user(owner);
      const scope = h().scope();
      const image = await h().create(o, scope, { visibility: 'shared' });
      return { owner, o, scope, image };
    }

    it('only shared images have members', async () => {
      const o = h().user(h().project('owner'));
      for (const visibility of ['private', 'public', 'community'] as const) {
        const ctx = visibility === 'public' ? h().admin() : o;
        const image = await h().create(ctx, h().scope(), { visibility, ...(visibility === 'public' ? { owner: o.projectId } : {}) });
        await expectReject(h().core.addMember(o, image.id, h().project('m'), NO_ABORT), ForbiddenError);
        await expectReject(h().core.listMembers(o, image.id, NO_ABORT), ForbiddenError);
        await expectReject(h().core.getMember(o, image.id, h().project('m'), NO_ABORT), NotFoundError);
      }
    });

    it('the owner adds members (pending); duplicates → Conflict; empty id → BadRequest', async () => {
      const { o, image } = await sharedImage();
      const m = h().project('m');
      const member = await h().core.addMember(o, image.id, m, NO_ABORT);
      expect(member).toMatchObject({ image_id: image.id, member_id: m, status: 'pending' });
      expect(member.created_at).toBe(member.updated_at);
      await expectReject(h().core.addMember(o, image.id, m, NO_ABORT), ConflictError);
      await expectReject(h().core.addMember(o, image.id, '', NO_ABORT), BadRequestError);
      await expectReject(h().core.addMember(o, randomUUID(), m, NO_ABORT), NotFoundError);
      const admin = h().project('by-admin');
      expect((await h().core.addMember(h().admin(), image.id, admin, NO_ABORT)).status).toBe('pending');
    });

    it('owner sees every member; a member sees only itself; non-members see nothing', async () => {
      const { o, image } = await sharedImage();
      const [a, b] = [h().project('a'), h().project('b')];
      await h().core.addMember(o, image.id, a, NO_ABORT);
      await h().core.addMember(o, image.id, b, NO_ABORT);
      expect(sorted((await h().core.listMembers(o, image.id, NO_ABORT)).map((m) => m.member_id))).toEqual(sorted([a, b]));
      expect(sorted((await h().core.listMembers(h().admin(), image.id, NO_ABORT)).map((m) => m.member_id))).toEqual(sorted([a, b]));
      expect((await h().core.listMembers(h().user(a), image.id, NO_ABORT)).map((m) => m.member_id)).toEqual([a]);
      expect((await h().core.getMember(h().user(a), image.id, a, NO_ABORT)).member_id).toBe(a);
      expect((await h().core.getMember(o, image.id, b, NO_ABORT)).member_id).toBe(b);
      await expectReject(h().core.getMember(h().user(a), image.id, b, NO_ABORT), NotFoundError);
      await expectReject(h().core.getMember(o, image.id, h().project('nobody'), NO_ABORT), NotFoundError);
      await expectReject(h().core.listMembers(h().user(h().project('x')), image.id, NO_ABORT), NotFoundError);
    });

    it('only the member changes its status (any transition); the owner cannot accept', async () => {
      const { o, image, scope } = await sharedImage();
      const m = h().project('m');
      const mc = h().user(m);
      await h().core.addMember(o, image.id, m, NO_ABORT);
      await expectReject(h().core.updateMember(o, image.id, m, 'accepted', NO_ABORT), ForbiddenError);
      expect((await h().core.getMember(o, image.id, m, NO_ABORT)).status).toBe('pending');
      const other = h().project('other');
      await h().core.addMember(o, image.id, other, NO_ABORT);
      await expectReject(h().core.updateMember(h().user(other), image.id, m, 'accepted', NO_ABORT), NotFoundError);
      for (const status of ['accepted', 'rejected', 'pending', 'accepted'] as const) {
        const out = await h().core.updateMember(mc, image.id, m, status, NO_ABORT);
        expect(out).toMatchObject({ member_id: m, image_id: image.id, status });
      }
      expect((await h().core.getMember(o, image.id, m, NO_ABORT)).status).toBe('accepted');
      expect(await h().listIds(mc, scope)).toEqual([image.id]);
      expect((await h().core.updateMember(h().admin(), image.id, m, 'rejected', NO_ABORT)).status).toBe('rejected');
      expect(await h().listIds(mc, scope)).toEqual([]);
      expect((await h().core.getImage(mc, image.id, NO_ABORT)).id).toBe(image.id);
    });

    it('members cannot add or delete members; the owner deletes; deleted members lose sight', async () => {
      const { o, image } = await sharedImage();
      const m = h().project('m');
      const mc = h().user(m);
      await h().core.addMember(o, image.id, m, NO_ABORT);
      await expectReject(h().core.addMember(mc, image.id, h().project('friend'), NO_ABORT), ForbiddenError);
      await expectReject(h().core.deleteMember(mc, image.id, m, NO_ABORT), ForbiddenError);
      await h().core.deleteMember(o, image.id, m, NO_ABORT);
      await expectReject(h().core.getImage(mc, image.id, NO_ABORT), NotFoundError);
      await expectReject(h().core.getMember(o, image.id, m, NO_ABORT), NotFoundError);
      await expectReject(h().core.deleteMember(o, image.id, m, NO_ABORT), NotFoundError);
      expect(await h().core.listMembers(o, image.id, NO_ABORT)).toEqual([]);
      // Re-adding works and starts over as pending.
      expect((await h().core.addMember(o, image.id, m, NO_ABORT)).status).toBe('pending');
      expect((await h().core.getImage(mc, image.id, NO_ABORT)).id).toBe(image.id);
      const a = h().project('adm');
      await h().core.addMember(o, image.id, a, NO_ABORT);
      await h().core.deleteMember(h().admin(), image.id, a, NO_ABORT);
      expect((await h().core.listMembers(o, image.id, NO_ABORT)).map((x) => x.member_id)).toEqual([m]);
    });

    it('leaving shared keeps the rows but voids them; returning to shared restores them', async () => {
      const { o, image } = await sharedImage();
      const m = h().project('m');
      const mc = h().user(m);
      await h().core.addMember(o, image.id, m, NO_ABORT);
      await h().core.updateMember(mc, image.id, m, 'accepted', NO_ABORT);
      await h().patch(o, image.id, op('replace', 'visibility', 'private'));
      await expectReject(h().core.getImage(mc, image.id, NO_ABORT), NotFoundError);
      await expectReject(h().core.listMembers(o, image.id, NO_ABORT), ForbiddenError);
      await h().patch(o, image.id, op('replace', 'visibility', 'shared'));
      expect((await h().core.getImage(mc, image.id, NO_ABORT)).id).toBe(image.id);
      expect((await h().core.getMember(o, image.id, m, NO_ABORT)).status).toBe('accepted');
    });

    it('members of a deleted image are gone with it', async () => {
      const { o, image } = await sharedImage();
      const m = h().project('m');
      await h().core.addMember(o, image.id, m, NO_ABORT);
      await h().core.deleteImage(o, image.id, NO_ABORT);
      await expectReject(h().core.listMembers(o, image.id, NO_ABORT), NotFoundError);
      await expectReject(h().core.getImage(h().user(m), image.id, NO_ABORT), NotFoundError);
    });
  });
}
