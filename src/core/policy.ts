import type { RequestContext } from './context.js';
import { ForbiddenError } from './errors.js';
import type { Image } from './image.js';
import type { MemberStatus } from './member.js';

/**
 * Who passes a policy rule:
 * - `admin`: the caller is admin (`role:admin`, any project);
 * - `owner`: admin, or the caller's project owns the target (`project_id:%(owner)s`);
 * - `anyone`: always passes.
 */
export type PolicyRule = 'admin' | 'anyone' | 'owner';
export type PolicyOverrides = { [rule: string]: PolicyRule };

/**
 * Zed defaults as they *behave* in legacy mode (spec v2 §13.2). Most rules have a deprecated
 * alternative `rule:default` = "" which is OR-ed in, so they always pass and the hard-coded
 * ownership checks (assertOwnerOrAdmin) are what restricts callers. Only the rules without a
 * deprecated alternative are really admin-only.
 */
export const LEGACY_POLICY_RULES: Readonly<Record<string, PolicyRule>> = Object.freeze({
  context_is_admin: 'admin',

  add_image: 'anyone',
  get_image: 'anyone',
  get_images: 'anyone',
  modify_image: 'anyone',
  delete_image: 'anyone',
  upload_image: 'anyone',
  download_image: 'anyone',
  deactivate: 'anyone',
  reactivate: 'anyone',
  communitize_image: 'anyone',
  set_image_location: 'anyone',
  get_image_location: 'anyone',
  delete_image_location: 'anyone',
  add_member: 'anyone',
  delete_member: 'anyone',
  get_member: 'anyone',
  get_members: 'anyone',
  modify_member: 'anyone',
  get_task: 'anyone',
  get_tasks: 'anyone',
  add_task: 'anyone',
  modify_task: 'anyone',

  publicize_image: 'admin',
  copy_image: 'admin',
  // The gate of every /v2/tasks call; config tasks.ownerAccess overrides it to 'anyone', and
  // non-admins then see and create only their own project's tasks.
  tasks_api_access: 'admin',
  stores_info_detail: 'admin',
  manage_image_cache: 'admin',
  cache_image: 'admin',
  cache_list: 'admin',
  cache_delete: 'admin',
} satisfies Record<string, PolicyRule>);

/** What a rule is checked against: the image's owner (for create: the owner-to-be). */
export interface PolicyTarget {
  owner: string | null;
}

export interface Policy {
  /** The effective table (defaults merged with overrides), frozen. */
  readonly rules: Readonly<Record<string, PolicyRule>>;
  /** Read visibility (§13.3). `membership` = the caller project's member status, if any. */
  canSee(image: Image, ctx: RequestContext, membership: MemberStatus | null): boolean;
  /** Legacy `check_is_image_mutable`: admin, or both owner and caller project set and equal. */
  isOwnerOrAdmin(image: Image, ctx: RequestContext): boolean;
  assertOwnerOrAdmin(image: Image, ctx: RequestContext, message: string): void;
  /** Member status may be changed by admin or by anyone but the owner (legacy, §13.4). */
  canUpdateMemberStatus(image: Image, ctx: RequestContext): boolean;
  /** Anonymous read-only contexts may not mutate anything. */
  assertWritable(ctx: RequestContext): void;
  isPolicyAllowed(rule: string, ctx: RequestContext, target?: PolicyTarget): boolean;
  /** Same as isPolicyAllowed (shorter name used by the embedded core). */
  isAllowed(rule: string, ctx: RequestContext, target?: PolicyTarget): boolean;
  /** 403 `You are not authorized to complete <rule> action.` unless the rule passes. */
  enforce(rule: string, ctx: RequestContext, target?: PolicyTarget): void;
}

const RULE_KINDS: ReadonlySet<string> = new Set<PolicyRule>(['admin', 'anyone', 'owner']);

function ownsTarget(ctx: RequestContext, target: PolicyTarget | undefined): boolean {
  return target !== undefined && ctx.projectId !== null && target.owner === ctx.projectId;
}

/**
 * Builds the policy from the legacy defaults plus configuration overrides. Unknown rule names
 * or kinds are configuration mistakes and fail fast instead of silently allowing everything.
 */
export function makePolicy(overrides: PolicyOverrides = {}): Policy {
  for (const [name, kind] of Object.entries(overrides)) {
    if (!Object.hasOwn(LEGACY_POLICY_RULES, name)) throw new Error(`Unknown policy rule '${name}'`);
    if (!RULE_KINDS.has(kind)) throw new Error(`Invalid value '${String(kind)}' for policy rule '${name}'`);
  }
  const rules: Readonly<Record<string, PolicyRule>> = Object.freeze({ ...LEGACY_POLICY_RULES, ...overrides });

  const isPolicyAllowed = (rule: string, ctx: RequestContext, target?: PolicyTarget): boolean => {
    const kind = Object.hasOwn(rules, rule) ? rules[rule] : undefined;
    if (kind === undefined) throw new Error(`Unknown policy rule '${rule}'`);
    if (kind === 'anyone') return true;
    if (ctx.isAdmin) return true;
    return kind === 'owner' && ownsTarget(ctx, target);
  };

  const isOwnerOrAdmin = (image: Image, ctx: RequestContext): boolean =>
    ctx.isAdmin || (image.owner !== null && ctx.projectId !== null && image.owner === ctx.projectId);

  return {
    rules,
    canSee(image, ctx, membership) {
      if (ctx.isAdmin || image.owner === null) return true;
      if (image.visibility === 'public' || image.visibility === 'community') return true;
      if (ctx.projectId !== null && image.owner === ctx.projectId) return true;
      // Member rows of a non-shared image are kept but grant nothing (§9).
      return image.visibility === 'shared' && membership !== null;
    },
    isOwnerOrAdmin,
    assertOwnerOrAdmin(image, ctx, message) {
      if (!isOwnerOrAdmin(image, ctx)) throw new ForbiddenError(message, { reason: 'not_owner' });
    },
    canUpdateMemberStatus(image, ctx) {
      return ctx.isAdmin || image.owner !== ctx.projectId;
    },
    assertWritable(ctx) {
      if (ctx.readOnly) throw new ForbiddenError('Read-only access', { reason: 'read_only' });
    },
    isPolicyAllowed,
    isAllowed: isPolicyAllowed,
    enforce(rule, ctx, target) {
      if (!isPolicyAllowed(rule, ctx, target)) {
        throw new ForbiddenError(`You are not authorized to complete ${rule} action.`, { reason: 'policy' });
      }
    },
  };
}

/**
 * The rules this gateway actually checks (the others in LEGACY_POLICY_RULES exist for Glance
 * parity but guard APIs the gateway does not have, such as tasks and copy-image, or are
 * enforced by hard-coded ownership checks). Only these can be overridden: an override that
 * could never take effect would let an operator believe something is locked down when it is not.
 */
export const CONFIGURABLE_POLICY_RULES: Readonly<Record<string, string>> = Object.freeze({
  add_image: 'create an image (v2 POST /v2/images, v1 POST /v1/images)',
  modify_image: 'update an image (v2 PATCH, v1 PUT)',
  publicize_image: "create or make an image 'public' (v1 is_public=true)",
  communitize_image: "create or make an image 'community'",
  set_image_location: 'add or replace locations (v2 PATCH /locations)',
  delete_image_location: 'remove locations (v2 PATCH /locations)',
  stores_info_detail: 'GET /v2/info/stores/detail',
});

/**
 * Accepted policy expressions: the three kinds, plus the Glance policy.yaml spellings that mean
 * the same thing, so an operator can copy a rule over from a Glance deployment.
 */
const EXPRESSION_ALIASES: Readonly<Record<string, PolicyRule>> = Object.freeze({
  admin: 'admin',
  'role:admin': 'admin',
  'rule:context_is_admin': 'admin',
  owner: 'owner',
  'rule:admin_or_owner': 'owner',
  'role:admin or project_id:%(owner)s': 'owner',
  'is_admin:True or project_id:%(owner)s': 'owner',
  anyone: 'anyone',
  '': 'anyone',
  '@': 'anyone',
  'rule:default': 'anyone',
});

/**
 * Validates configured overrides (`{ rule: expression }`) into PolicyOverrides. Every problem
 * is reported (unknown or unconfigurable rule, expression outside the vocabulary), never ignored.
 */
export function parsePolicyOverrides(raw: unknown, source: string): { overrides: PolicyOverrides; problems: string[] } {
  const problems: string[] = [];
  const overrides: PolicyOverrides = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { overrides, problems: [`${source}: must be a JSON object of rule name → expression`] };
  }
  for (const [rule, expr] of Object.entries(raw as Record<string, unknown>)) {
    if (!Object.hasOwn(CONFIGURABLE_POLICY_RULES, rule)) {
      problems.push(
        Object.hasOwn(LEGACY_POLICY_RULES, rule)
          ? `${source}: rule '${rule}' is not enforced by this gateway and cannot be overridden (configurable: ${Object.keys(CONFIGURABLE_POLICY_RULES).join(', ')})`
          : `${source}: unknown rule '${rule}' (configurable: ${Object.keys(CONFIGURABLE_POLICY_RULES).join(', ')})`,
      );
      continue;
    }
    const key = typeof expr === 'string' ? expr.trim().replace(/\s+/g, ' ') : undefined;
    const kind = key !== undefined && Object.hasOwn(EXPRESSION_ALIASES, key) ? EXPRESSION_ALIASES[key] : undefined;
    if (kind === undefined) {
      problems.push(`${source}: rule '${rule}' has an unsupported expression ${JSON.stringify(expr)} (use admin, owner or anyone)`);
      continue;
    }
    overrides[rule] = kind;
  }
  return { overrides, problems };
}
