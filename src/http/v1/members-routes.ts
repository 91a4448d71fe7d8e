import type { Context, Hono } from 'hono';
import type { RequestContext } from '../../core/context.js';
import type { ImageCore } from '../../core/core.js';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
} from '../../core/errors.js';
import { readBodyText, parseJsonBody } from '../json-body.js';
import { requestHasBody } from '../resource.js';
import { json, param } from '../respond.js';
import type { GatewayEnv } from '../types.js';
import type { V1Deps } from './deps.js';

/**
 * v1 image sharing (spec v1 §3.8, §7.3) over the v2 members API. v1 has no member status and
 * `can_share` has no v2 counterpart: it is reported false and accepted but ignored [L].
 */
export function mountV1MemberRoutes(app: Hono<GatewayEnv>, deps: V1Deps): void {
  const { core, config } = deps;
  const noContent = (c: Context<GatewayEnv>): Response =>
    new Response(null, { status: 204, headers: { 'x-openstack-request-id': c.get('requestId') } });

  app.get('/v1/images/:id/members', async (c) => {
    const ctx = c.get('ctx');
    try {
      const members = await core.listMembers(ctx, param(c, 'id'), c.req.raw.signal);
      return json(c, 200, { members: members.map((m) => ({ member_id: m.member_id, can_share: false })) });
    } catch (e) {
      // v2: "Only shared images have members"; v1 simply had none.
      if (e instanceof ForbiddenError) return json(c, 200, { members: [] });
      throw e;
    }
  });

  app.put('/v1/images/:id/members/:member', async (c) => {
    const ctx = requireOwner(c);
    await readOptionalJson(c);
    await addMember(core, ctx, param(c, 'id'), param(c, 'member'), c.req.raw.signal);
    return noContent(c);
  });

  app.delete('/v1/images/:id/members/:member', async (c) => {
    const ctx = requireOwner(c);
    try {
      await core.deleteMember(ctx, param(c, 'id'), param(c, 'member'), c.req.raw.signal);
    } catch (e) {
      if (e instanceof ForbiddenError) throw new NotFoundError('Membership could not be found.');
      if (e instanceof NotFoundError && e.reason !== 'image_not_found') throw new NotFoundError('Membership could not be found.');
      throw e;
    }
    return noContent(c);
  });

  // glanceclient's members.get never worked against real v1: 405 without an Allow header.
  app.get('/v1/images/:id/members/:member', () => {
    throw new MethodNotAllowedError('');
  });

  app.put('/v1/images/:id/members', async (c) => {
    const ctx = requireOwner(c);
    const id = param(c, 'id');
    const body = await readOptionalJson(c);
    if (typeof body !== 'object' || body === null) throw new BadRequestError('Invalid membership association: no memberships given');
    const image = await core.getImage(ctx, id, c.req.raw.signal);
    if (!ctx.isAdmin && image.owner !== ctx.projectId) throw new NotFoundError(`Image ${id} not found.`);
    const raw = (body as { memberships?: unknown }).memberships ?? ((body as { member_id?: unknown }).member_id !== undefined ? [body] : undefined);
    if (!Array.isArray(raw)) throw new BadRequestError('Invalid membership association: memberships must be a list');
    const wanted = raw.map((m: unknown) => {
      const memberId = (m as { member_id?: unknown } | null)?.member_id;
      if (typeof memberId !== 'string' || memberId === '') throw new BadRequestError('Invalid membership association: member_id missing');
      return memberId;
    });
    const quota = config.limits.memberQuota;
    if (quota >= 0 && wanted.length > quota) {
      throw new PayloadTooLargeError(
        `The limit has been exceeded on the number of allowed image members for this image. Attempted: ${wanted.length}, Maximum: ${quota}`,
      );
    }
    const current = await currentMembers(core, ctx, id, c.req.raw.signal);
    for (const m of current) if (!wanted.includes(m)) await core.deleteMember(ctx, id, m, c.req.raw.signal);
    for (const m of wanted) if (!current.includes(m)) await addMember(core, ctx, id, m, c.req.raw.signal);
    return noContent(c);
  });

  app.all('/v1/shared-images/:member', async (c) => {
    const memberships = await core.listMemberships(c.get('ctx'), param(c, 'member'), c.req.raw.signal);
    return json(c, 200, { shared_images: memberships.map((m) => ({ image_id: m.image_id, can_share: false })) });
  });

  async function readOptionalJson(c: Context<GatewayEnv>): Promise<unknown> {
    if (!requestHasBody(c.env.incoming)) return undefined;
    const text = await readBodyText(c.env.incoming, config.limits.maxJsonBodyBytes, c.req.raw.signal);
    return text === '' ? undefined : parseJsonBody(text, { maxDepth: config.limits.maxJsonDepth });
  }
}

/** Member changes need an identified project (spec v1 §1.2: 401 "No authenticated user"). */
function requireOwner(c: Context<GatewayEnv>): RequestContext {
  const ctx = c.get('ctx');
  if (ctx.projectId === null && !ctx.isAdmin) throw new UnauthorizedError('No authenticated user');
  return ctx;
}

async function currentMembers(core: ImageCore, ctx: RequestContext, id: string, signal: AbortSignal): Promise<string[]> {
  try {
    return (await core.listMembers(ctx, id, signal)).map((m) => m.member_id);
  } catch (e) {
    if (e instanceof ForbiddenError) return [];
    throw e;
  }
}

/**
 * v1 shares any image its owner can see; v2 only `shared` ones. A private image is made
 * shared first (spec v1 §7.3); an existing member is success; refusals look like v1's 404.
 */
async function addMember(core: ImageCore, ctx: RequestContext, id: string, member: string, signal: AbortSignal): Promise<void> {
  const image = await core.getImage(ctx, id, signal);
  if (!ctx.isAdmin && image.owner !== ctx.projectId) throw new NotFoundError(`Image ${id} not found.`);
  if (image.visibility === 'public' || image.visibility === 'community') throw new NotFoundError(`Image ${id} not found.`);
  if (image.visibility === 'private') {
    await core.updateImage(ctx, id, [{ op: 'replace', path: ['visibility'], value: 'shared', hasValue: true, strictAdd: false }], signal);
  }
  try {
    await core.addMember(ctx, id, member, signal);
  } catch (e) {
    if (e instanceof ConflictError) return;
    if (e instanceof ForbiddenError) throw new NotFoundError(`Image ${id} not found.`);
    throw e;
  }
}
