import type { Hono } from 'hono';
import { BadRequestError } from '../../core/errors.js';
import { MEMBER_STATUSES, type MemberStatus } from '../../core/member.js';
import { mountResource } from '../resource.js';
import { empty, json, param, readJson } from '../respond.js';
import type { GatewayEnv } from '../types.js';
import type { V2Deps } from './deps.js';
import { renderMember } from './render.js';

/** Tags and members (spec v2 §8, §9). */
export function mountSharingRoutes(app: Hono<GatewayEnv>, deps: V2Deps): void {
  const { core, config } = deps;

  mountResource(app, {
    path: '/v2/images/:id/tags/:tag',
    bodyReject: ['PUT', 'DELETE'],
    methods: {
      PUT: async (c) => {
        await core.addTag(c.get('ctx'), param(c, 'id'), param(c, 'tag'), c.req.raw.signal);
        return empty(c, 204);
      },
      DELETE: async (c) => {
        await core.deleteTag(c.get('ctx'), param(c, 'id'), param(c, 'tag'), c.req.raw.signal);
        return empty(c, 204);
      },
    },
  });

  mountResource(app, {
    path: '/v2/images/:id/members',
    bodyReject: ['GET'],
    methods: {
      GET: async (c) => {
        const members = await core.listMembers(c.get('ctx'), param(c, 'id'), c.req.raw.signal);
        return json(c, 200, { members: members.map(renderMember), schema: '/v2/schemas/members' });
      },
      POST: async (c) => {
        const body = await readJson(c, config.limits);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new BadRequestError('Expected a member in the form: {"member": "image_id"}');
        }
        if (!('member' in body)) throw new BadRequestError('Member to be added not specified');
        const member = (body as { member: unknown }).member;
        if (!member) throw new BadRequestError("Member can't be empty");
        if (typeof member !== 'string') throw new BadRequestError('Member must be a string');
        const added = await core.addMember(c.get('ctx'), param(c, 'id'), member, c.req.raw.signal);
        // Glance answers 200, not 201, and clients expect it (spec v2 §15 #17).
        return json(c, 200, renderMember(added));
      },
    },
  });

  mountResource(app, {
    path: '/v2/images/:id/members/:member',
    bodyReject: ['GET', 'DELETE'],
    methods: {
      GET: async (c) => {
        const m = await core.getMember(c.get('ctx'), param(c, 'id'), param(c, 'member'), c.req.raw.signal);
        return json(c, 200, renderMember(m));
      },
      PUT: async (c) => {
        const body = await readJson(c, config.limits);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new BadRequestError('Expected a status in the form: {"status": "status"}');
        }
        if (!('status' in body)) throw new BadRequestError('Status not specified');
        const status = (body as { status: unknown }).status;
        if (typeof status !== 'string' || !(MEMBER_STATUSES as readonly string[]).includes(status)) {
          throw new BadRequestError('Incorrect request: Status must be "pending", "accepted" or "rejected".');
        }
        const m = await core.updateMember(
          c.get('ctx'),
          param(c, 'id'),
          param(c, 'member'),
          status as MemberStatus,
          c.req.raw.signal,
        );
        return json(c, 200, renderMember(m));
      },
      DELETE: async (c) => {
        await core.deleteMember(c.get('ctx'), param(c, 'id'), param(c, 'member'), c.req.raw.signal);
        return new Response(null, { status: 204, headers: { 'x-openstack-request-id': c.get('requestId') } });
      },
    },
  });
}
