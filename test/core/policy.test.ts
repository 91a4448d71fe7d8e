import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../src/core/context.js';
import type { Visibility } from '../../src/core/image.js';
import type { MemberStatus } from '../../src/core/member.js';
import { LEGACY_POLICY_RULES, makePolicy, type PolicyOverrides } from '../../src/core/policy.js';
import { ctxs, expectCoreError, makeImage } from './fixtures.js';

const policy = makePolicy();

describe('canSee (§13.3)', () => {
  type Row = [string, Visibility, string | null, RequestContext, MemberStatus | null, boolean];
  const rows: Row[] = [
    ['admin sees private of others', 'private', 'proj1', ctxs.admin, null, true],
    ['owner sees own private', 'private', 'proj1', ctxs.owner, null, true],
    ['other does not see private', 'private', 'proj1', ctxs.other, null, false],
    ['member rows do not open a private image', 'private', 'proj1', ctxs.other, 'accepted', false],
    ['public is visible to all', 'public', 'proj1', ctxs.other, null, true],
    ['community is visible to all', 'community', 'proj1', ctxs.other, null, true],
    ['shared without membership is hidden', 'shared', 'proj1', ctxs.other, null, false],
    ['pending member sees shared', 'shared', 'proj1', ctxs.other, 'pending', true],
    ['rejected member still sees shared', 'shared', 'proj1', ctxs.other, 'rejected', true],
    ['accepted member sees shared', 'shared', 'proj1', ctxs.other, 'accepted', true],
    ['owner null is visible to everyone', 'private', null, ctxs.other, null, true],
    ['caller without project sees no private', 'private', 'proj1', ctxs.noProject, null, false],
    ['anonymous sees public', 'public', 'proj1', ctxs.anon, null, true],
    ['anonymous does not see shared', 'shared', 'proj1', ctxs.anon, null, false],
  ];
  it.each(rows)('%s', (_name, visibility, owner, ctx, membership, want) => {
    expect(policy.canSee(makeImage({ visibility, owner }), ctx, membership)).toBe(want);
  });
});

describe('ownership (legacy check_is_image_mutable)', () => {
  it.each([
    ['owner', 'proj1', ctxs.owner, true],
    ['admin', 'proj1', ctxs.admin, true],
    ['other project', 'proj1', ctxs.other, false],
    ['owner null, non-admin', null, ctxs.owner, false],
    ['owner null, admin', null, ctxs.admin, true],
    ['caller without project', 'proj1', ctxs.noProject, false],
  ] as const)('%s', (_name, owner, ctx, want) => {
    const image = makeImage({ owner });
    expect(policy.isOwnerOrAdmin(image, ctx)).toBe(want);
    if (want) expect(() => policy.assertOwnerOrAdmin(image, ctx, 'nope')).not.toThrow();
    else expectCoreError(() => policy.assertOwnerOrAdmin(image, ctx, 'You do not own this image'), {
      status: 403,
      message: 'You do not own this image',
    });
  });

  it.each([
    ['owner may not', ctxs.owner, false],
    ['member may', ctxs.other, true],
    ['admin may', ctxs.admin, true],
  ] as const)('member status update: %s', (_name, ctx, want) => {
    expect(policy.canUpdateMemberStatus(makeImage(), ctx)).toBe(want);
  });
});

describe('assertWritable', () => {
  it('refuses a read-only context with 403 Read-only access', () => {
    expectCoreError(() => policy.assertWritable(ctxs.anon), { status: 403, message: 'Read-only access' });
  });
  it('lets normal contexts through', () => {
    expect(() => policy.assertWritable(ctxs.owner)).not.toThrow();
  });
});

describe('policy rules', () => {
  const adminOnly = [
    'publicize_image', 'copy_image', 'tasks_api_access', 'stores_info_detail', 'manage_image_cache', 'context_is_admin',
  ];
  it.each(adminOnly)('%s is admin-only by default', (rule) => {
    expect(policy.isPolicyAllowed(rule, ctxs.admin)).toBe(true);
    expect(policy.isPolicyAllowed(rule, ctxs.owner)).toBe(false);
    expect(policy.isAllowed(rule, ctxs.owner)).toBe(false);
    expectCoreError(() => policy.enforce(rule, ctxs.owner), {
      status: 403,
      message: `You are not authorized to complete ${rule} action.`,
    });
  });

  it.each(['add_image', 'modify_image', 'communitize_image', 'get_image', 'delete_image', 'modify_member'])(
    '%s passes for anyone in legacy mode',
    (rule) => {
      expect(policy.isPolicyAllowed(rule, ctxs.other)).toBe(true);
      expect(policy.isPolicyAllowed(rule, ctxs.anon)).toBe(true);
    },
  );

  it('applies overrides without touching other policies or the defaults', () => {
    const custom = makePolicy({ publicize_image: 'anyone', communitize_image: 'admin', copy_image: 'owner' });
    expect(custom.isPolicyAllowed('publicize_image', ctxs.owner)).toBe(true);
    expect(custom.isPolicyAllowed('communitize_image', ctxs.owner)).toBe(false);
    expect(custom.isPolicyAllowed('communitize_image', ctxs.admin)).toBe(true);
    expect(policy.isPolicyAllowed('publicize_image', ctxs.owner)).toBe(false);
    expect(LEGACY_POLICY_RULES.publicize_image).toBe('admin');
    expect(Object.isFrozen(custom.rules)).toBe(true);
  });

  it.each([
    ['owner of the target', ctxs.owner, { owner: 'proj1' }, true],
    ['other project', ctxs.other, { owner: 'proj1' }, false],
    ['no target', ctxs.owner, undefined, false],
    ['null owner never matches a null project', ctxs.noProject, { owner: null }, false],
    ['admin always', ctxs.admin, { owner: 'proj1' }, true],
  ] as const)("'owner' rule: %s", (_name, ctx, target, want) => {
    const custom = makePolicy({ copy_image: 'owner' });
    expect(custom.isPolicyAllowed('copy_image', ctx, target)).toBe(want);
  });

  it('fails fast on unknown rules and kinds', () => {
    expect(() => makePolicy({ publicise_image: 'admin' })).toThrow(/Unknown policy rule 'publicise_image'/);
    expect(() => makePolicy({ copy_image: 'root' as 'admin' })).toThrow(/Invalid value 'root'/);
    expect(() => policy.isPolicyAllowed('no_such_rule', ctxs.admin)).toThrow(/Unknown policy rule/);
    expect(() => makePolicy(JSON.parse('{"toString": "admin"}') as PolicyOverrides)).toThrow(/Unknown policy rule/);
  });
});
