import type { RequestContext } from '../core/context.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, PayloadTooLargeError } from '../core/errors.js';
import type { Image } from '../core/image.js';
import type { Member, MemberStatus } from '../core/member.js';
import { loadImage, loadVisible, type EmbeddedDeps } from './deps.js';

/** Image sharing (spec v2 §9). Only shared images have members. */
export class MemberService {
  constructor(private readonly deps: EmbeddedDeps) {}

  list(ctx: RequestContext, id: string): Member[] {
    const image = this.visible(ctx, id);
    if (image.visibility !== 'shared') {
      throw new ForbiddenError(`Not allowed to list members for image ${id}: Only shared images have members.`);
    }
    const members = this.deps.members.list(id);
    if (this.deps.policy.isOwnerOrAdmin(image, ctx)) return members;
    return members.filter((m) => m.member_id === ctx.projectId);
  }

  add(ctx: RequestContext, id: string, memberId: string): Member {
    const d = this.deps;
    if (memberId === '') throw new BadRequestError("Member can't be empty");
    return d.db.transaction(() => {
      const image = this.visible(ctx, id);
      d.policy.assertWritable(ctx);
      if (image.visibility !== 'shared' || !this.deps.policy.isOwnerOrAdmin(image, ctx)) {
        throw new ForbiddenError(`Not allowed to create members for image ${id}.`);
      }
      if (d.members.get(id, memberId) !== undefined) {
        throw new ConflictError(`Member ${memberId} is duplicated for image ${id}`);
      }
      const quota = d.limits.memberQuota;
      const attempted = d.members.count(id) + 1;
      if (quota >= 0 && attempted > quota) {
        throw new PayloadTooLargeError(
          `Image member limit exceeded for image ${id}: The limit has been exceeded on the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${quota}:`,
        );
      }
      const member = d.members.add(id, memberId, d.now());
      return member;
    })();
  }

  get(ctx: RequestContext, id: string, memberId: string): Member {
    const image = this.visible(ctx, id);
    if (image.visibility !== 'shared') throw new NotFoundError('Only shared images have members.');
    return this.findVisibleMember(ctx, image, memberId);
  }

  update(ctx: RequestContext, id: string, memberId: string, status: MemberStatus): Member {
    const d = this.deps;
    return d.db.transaction(() => {
      const image = this.visible(ctx, id);
      d.policy.assertWritable(ctx);
      const member = this.findVisibleMember(ctx, image, memberId);
      // Only the member decides on a share; the owner may not accept on its behalf.
      const ownerActing = !ctx.isAdmin && image.owner === ctx.projectId;
      if (image.visibility !== 'shared' || ownerActing) {
        throw new ForbiddenError(`Not allowed to update members for image ${id}.`);
      }
      const updated = d.members.setStatus(id, member.member_id, status, d.now())!;
      return updated;
    })();
  }

  delete(ctx: RequestContext, id: string, memberId: string): void {
    const d = this.deps;
    d.db.transaction(() => {
      const image = this.visible(ctx, id);
      d.policy.assertWritable(ctx);
      const member = this.findVisibleMember(ctx, image, memberId);
      if (image.visibility !== 'shared' || !this.deps.policy.isOwnerOrAdmin(image, ctx)) {
        throw new ForbiddenError(`Not allowed to delete members for image ${id}.`);
      }
      d.members.remove(id, member.member_id);
    })();
  }

  listMemberships(ctx: RequestContext, memberId: string): Member[] {
    const all = this.deps.members.byMember(memberId);
    if (ctx.isAdmin || memberId === ctx.projectId) return all;
    return all.filter((m) => loadImage(this.deps, m.image_id)?.owner === ctx.projectId);
  }

  private visible(ctx: RequestContext, id: string): Image {
    return loadVisible(this.deps, ctx, id, `Image ${id} not found.`);
  }


  private findVisibleMember(ctx: RequestContext, image: Image, memberId: string): Member {
    const member = this.deps.members.get(image.id, memberId);
    const mayView = this.deps.policy.isOwnerOrAdmin(image, ctx) || memberId === ctx.projectId;
    if (member === undefined || !mayView) {
      throw new NotFoundError(`${memberId} not found in the member list of the image ${image.id}.`);
    }
    return member;
  }

}
