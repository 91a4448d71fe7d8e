/**
 * The isolation rules table (legacy-mode Glance Zed, spec v2 §5.3, §9, §13.3-§13.5; spec v1 §3.2, §3.6-§3.8, §4).
 * Everything the matrix asserts is derived from the few predicates below; nothing is hand-listed per cell.
 */

export const VISIBILITIES = ['public', 'community', 'shared-pending', 'shared-accepted', 'shared-rejected', 'private'] as const;
export type Vis = (typeof VISIBILITIES)[number];
export interface ImageKind {
  vis: Vis;
  protected: boolean;
}
/** Every visibility, plain and protected. */
export const KINDS: ImageKind[] = [false, true].flatMap((p) => VISIBILITIES.map((vis) => ({ vis, protected: p })));
export const kindLabel = (k: ImageKind): string => `${k.vis}${k.protected ? '+protected' : ''}`;

export const CALLERS = ['owner', 'member', 'other', 'reader', 'admin', 'anonymous'] as const;
export type Caller = (typeof CALLERS)[number];

/** Token → identity; written to the static tokens file. The owner project is `p-owner`; the member is `p-member`. */
export const TOKENS: Record<Exclude<Caller, 'anonymous'>, { project_id: string; user_id: string; roles: string[] }> = {
  owner: { project_id: 'p-owner', user_id: 'u1', roles: ['member'] },
  reader: { project_id: 'p-owner', user_id: 'u2', roles: ['reader'] },
  member: { project_id: 'p-member', user_id: 'u3', roles: ['member'] },
  other: { project_id: 'p-other', user_id: 'u4', roles: ['member'] },
  admin: { project_id: 'p-admin', user_id: 'u5', roles: ['admin'] },
};
export const tokenOf = (c: Exclude<Caller, 'anonymous'>): string => `tok-${c}`;

const isShared = (v: Vis): boolean => v.startsWith('shared-');
const memberStatus = (v: Vis): string | null => (isShared(v) ? v.slice('shared-'.length) : null);

// ---- the rules ------------------------------------------------------------------------------

/** §13.3 / v1 §4.2: admin, owner project, public/community, or a member with any status. */
export function visible(k: ImageKind, c: Caller): boolean {
  if (c === 'anonymous') return false;
  if (c === 'admin' || c === 'owner' || c === 'reader') return true;
  if (k.vis === 'public' || k.vis === 'community') return true;
  return c === 'member' && isShared(k.vis);
}

/** Legacy mode: the owner project (any role, reader included) or admin may mutate (§13.4, v1 §4.3). */
export const ownerish = (c: Caller): boolean => c === 'admin' || c === 'owner' || c === 'reader';

/** v2 default list (§5.3): own + public + accepted shares; admin: all but others' community. */
export function v2ListedByDefault(k: ImageKind, c: Caller): boolean {
  if (c === 'admin') return k.vis !== 'community';
  if (c === 'owner' || c === 'reader') return true;
  if (k.vis === 'public') return true;
  return c === 'member' && k.vis === 'shared-accepted';
}

/** v2 list with visibility=all&member_status=all: exactly the visible images. */
export const v2ListedWithAll = visible;

/** v1 detail (§3.2): public ∪ owned ∪ shared with P (any member status); admin without is_public = "as a user". */
export function v1Listed(k: ImageKind, c: Caller): boolean {
  if (c === 'anonymous') return false;
  if (k.vis === 'public') return true;
  if (c === 'owner' || c === 'reader') return true;
  return c === 'member' && isShared(k.vis);
}

/** Which member ids a caller sees in a members list (v2 §9, v1 §3.8). */
function membersSeen(k: ImageKind, c: Caller): string[] {
  if (!isShared(k.vis)) return [];
  return ownerish(c) || c === 'member' ? ['p-member'] : [];
}

export interface Expectation {
  status: number;
  /** For list routes: whether the image is in the result. */
  listed?: boolean;
  /** For member-list routes: the member ids returned. */
  members?: string[];
}

/** Mutation rule shared by most routes: invisible → 404, not owner → 403, else ok. */
function mutate(k: ImageKind, c: Caller, ok: number): Expectation {
  if (c === 'anonymous') return { status: 401 };
  if (!visible(k, c)) return { status: 404 };
  return { status: ownerish(c) ? ok : 403 };
}
const read = (k: ImageKind, c: Caller, ok: number): Expectation =>
  c === 'anonymous' ? { status: 401 } : { status: visible(k, c) ? ok : 404 };

export const V2_ROUTES = ['show', 'list', 'download', 'patch', 'delete', 'members-list', 'member-add', 'tag-add'] as const;
export type V2Route = (typeof V2_ROUTES)[number];
export const V2_MUTATING: ReadonlySet<V2Route> = new Set(['patch', 'delete', 'member-add', 'tag-add']);

export function expectV2(route: V2Route, k: ImageKind, c: Caller): Expectation {
  if (c === 'anonymous') return { status: 401 };
  switch (route) {
    case 'show':
      return read(k, c, 200);
    case 'download':
      return read(k, c, 200);
    case 'list':
      return { status: 200, listed: v2ListedByDefault(k, c) };
    case 'patch':
    case 'tag-add':
      return mutate(k, c, route === 'patch' ? 200 : 204);
    case 'delete': {
      const e = mutate(k, c, 204);
      return e.status === 204 && k.protected ? { status: 403 } : e;
    }
    case 'members-list':
      if (!visible(k, c)) return { status: 404 };
      return isShared(k.vis) ? { status: 200, members: membersSeen(k, c) } : { status: 403 };
    case 'member-add': {
      const e = mutate(k, c, 200);
      return e.status === 200 && !isShared(k.vis) ? { status: 403 } : e;
    }
  }
}

export const V1_ROUTES = ['head', 'get', 'detail', 'put', 'delete', 'members-list', 'member-add'] as const;
export type V1Route = (typeof V1_ROUTES)[number];
export const V1_MUTATING: ReadonlySet<V1Route> = new Set(['put', 'delete', 'member-add']);

export function expectV1(route: V1Route, k: ImageKind, c: Caller): Expectation {
  if (c === 'anonymous') return { status: 401 };
  switch (route) {
    case 'head':
    case 'get':
      return read(k, c, 200);
    case 'detail':
      return { status: 200, listed: v1Listed(k, c) };
    case 'put':
      return mutate(k, c, 200);
    case 'delete': {
      // §3.7 order: invisible 404, then protected 403 (before ownership), then not owner 403.
      if (!visible(k, c)) return { status: 404 };
      return { status: k.protected || !ownerish(c) ? 403 : 200 };
    }
    case 'members-list':
      return visible(k, c) ? { status: 200, members: membersSeen(k, c) } : { status: 404 };
    case 'member-add':
      // §3.8: not sharable → 404 (never 403); §7.3: public/community cannot carry members → 404.
      if (!visible(k, c) || !ownerish(c)) return { status: 404 };
      return { status: k.vis === 'public' || k.vis === 'community' ? 404 : 204 };
  }
}

/** Does the route, when it succeeds, remove the image from every read? */
export const deletes = (route: string, e: Expectation): boolean => route === 'delete' && e.status >= 200 && e.status < 300;

export { memberStatus };
