/**
 * `GET /v1/images[/detail]` query string → ImageQuery (spec v1 §3.2, §7.3), with Glance Queens'
 * 400 messages and its order: the API's per-filter checks in query order, then the registry's
 * changes-since, protected, limit, sort_key, sort_dir and marker checks.
 *
 * A repeated parameter counts with its last value, as WebOb's `params.get` returns it.
 */
import type { RequestContext } from '../../core/context.js';
import { BadRequestError } from '../../core/errors.js';
import { SORT_KEYS, type ImageFilters, type ImageQuery, type SortDir, type SortKey } from '../../core/query.js';
import { parseIsoTime, parsePythonInt, type ListLimits } from '../v2/list-query.js';

/**
 * What v1 lists that a plain v2 query cannot say (also set on `query.filters` as
 * `includeGone` / `adminScope`, for a core that honours them).
 */
export interface V1ListExtras {
  /** `changes-since` given: deleted, pending_delete and killed images are listed too. */
  includeDeletedAndKilled: boolean;
  /** Admins only (null for everyone else): absent/true = as-user, false = non-public, none = all. */
  adminScope: 'as-user' | 'non-public' | 'all' | null;
}

export interface V1ListQuery {
  query: ImageQuery;
  extras: V1ListExtras;
}

function bad(message: string): BadRequestError {
  return new BadRequestError(message);
}

const isNonNegativeInt = (v: string): boolean => {
  const n = parsePythonInt(v);
  return n !== null && n >= 0;
};
const isBoolish = (v: string): boolean => ['none', 'true', 'false', '1', '0'].includes(v.toLowerCase());

/**
 * glance/api/v1/filters.py. min_disk was not validated there (the DB then coerced or failed,
 * depending on the backend); it gets min_ram's check since the core needs a number.
 */
const FILTER_VALIDATORS: Readonly<Record<string, (v: string) => boolean>> = {
  size_min: isNonNegativeInt,
  size_max: isNonNegativeInt,
  min_ram: isNonNegativeInt,
  min_disk: isNonNegativeInt,
  protected: isBoolish,
  is_public: isBoolish,
};

const VALUE_FILTERS = ['name', 'status', 'container_format', 'disk_format'] as const;
const NUMERIC_FILTERS = [
  ['size_min', 'size', 'gte'],
  ['size_max', 'size', 'lte'],
  ['min_ram', 'min_ram', 'eq'],
  ['min_disk', 'min_disk', 'eq'],
] as const;
const PROPERTY_PREFIX = 'property-';

/**
 * oslo `is_uuid_like`: `uuid.UUID()` accepts braces, `urn:uuid:` and missing dashes, but
 * the id must read back identical once those are stripped and lower-cased.
 */
export function isUuidLike(value: string): boolean {
  const stripped = value.replace(/urn:/g, '').replace(/uuid:/g, '').replace(/^[{}]+|[{}]+$/g, '');
  const hex = stripped.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex);
}

function lastValues(params: URLSearchParams): Map<string, string> {
  // A Map keeps a key at its first position with its last value: WebOb's order and value.
  const out = new Map<string, string>();
  for (const [k, v] of params) out.set(k, v);
  return out;
}

function parseLimit(raw: string | undefined, limits: ListLimits): number {
  if (raw === undefined) return Math.min(limits.defaultLimit, limits.maxLimit);
  const n = parsePythonInt(raw);
  if (n === null) throw bad('limit param must be an integer');
  if (n < 0) throw bad('limit param must be positive');
  return Math.min(n, limits.maxLimit);
}

function adminScopeOf(isPublic: string | undefined, ctx: RequestContext): V1ListExtras['adminScope'] {
  // Non-admins' is_public is validated (above) and then ignored.
  if (!ctx.isAdmin) return null;
  const v = isPublic?.toLowerCase();
  if (v === 'none') return 'all';
  if (v === 'false' || v === '0') return 'non-public';
  return 'as-user';
}

export function parseV1ListQuery(params: URLSearchParams, ctx: RequestContext, limits: ListLimits): V1ListQuery {
  const values = lastValues(params);
  for (const [key, value] of values) {
    const validate = FILTER_VALIDATORS[key];
    if (validate !== undefined && !validate(value)) throw bad(`Bad value passed to filter ${key} got ${value}`);
  }

  // v1 shows shared images whatever the member status: it has no member status.
  const filters: ImageFilters = { member_status: 'all' };
  for (const key of VALUE_FILTERS) {
    const v = values.get(key);
    // Plain equality: Queens' DB layer also read `in:`/`eq:` prefixes (a 500 on other colons) [Q].
    if (v !== undefined) filters[key] = { op: 'eq', value: v };
  }
  for (const [param, column, op] of NUMERIC_FILTERS) {
    const v = values.get(param);
    if (v !== undefined) (filters.numeric ??= []).push({ column, op, value: parsePythonInt(v) as number });
  }
  const properties: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of values) {
    // The name is taken verbatim (no `-` → `_`), as the registry did.
    if (key.startsWith(PROPERTY_PREFIX)) properties[key.slice(PROPERTY_PREFIX.length)] = value;
  }
  if (Object.keys(properties).length > 0) filters.properties = properties;

  const changesSince = values.get('changes-since');
  if (changesSince !== undefined) {
    const ms = parseIsoTime(changesSince);
    if (ms === null) throw bad('Unrecognized changes-since value');
    (filters.dates ??= []).push({ column: 'updated_at', op: 'gt', value: ms });
    filters.includeGone = true;
  }
  const prot = values.get('protected')?.toLowerCase();
  if (prot !== undefined) {
    // `none` passes the API's check but not the registry's.
    if (prot === 'none') throw bad('protected must be True, or False');
    filters.protected = prot === 'true' || prot === '1';
  }
  const adminScope = adminScopeOf(values.get('is_public'), ctx);
  if (adminScope !== null) filters.adminScope = adminScope;

  const limit = parseLimit(values.get('limit'), limits);
  const sortKey = values.get('sort_key') ?? 'created_at';
  if (!(SORT_KEYS as readonly string[]).includes(sortKey)) {
    throw bad(`Unsupported sort_key. Acceptable values: ${SORT_KEYS.join(', ')}`);
  }
  const sortDir = values.get('sort_dir') ?? 'desc';
  if (sortDir !== 'asc' && sortDir !== 'desc') throw bad('Unsupported sort_dir. Acceptable values: asc, desc');
  const marker = values.get('marker');
  // An empty marker is falsy in Glance: no marker at all.
  if (marker && !isUuidLike(marker)) throw bad('Invalid marker format');

  const query: ImageQuery = {
    filters,
    // created_at then id follow in the same direction: the core appends them with defaultDir.
    sort: [{ key: sortKey as SortKey, dir: sortDir as SortDir }],
    defaultDir: sortDir as SortDir,
    limit,
  };
  if (marker) query.marker = marker;
  return { query, extras: { includeDeletedAndKilled: changesSince !== undefined, adminScope } };
}
