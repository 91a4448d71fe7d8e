/**
 * `GET /v2/images` query string → ImageQuery (spec v2 §5.3), with Glance's exact 400 messages,
 * and the `first`/`next` links of the list response.
 */
import { BadRequestError } from '../../core/errors.js';
import {
  NUMERIC_COLUMNS,
  SORT_KEYS,
  type CompareOp,
  type DateFilter,
  type ImageFilters,
  type ImageQuery,
  type ListVisibility,
  type MemberStatusFilter,
  type NumericColumn,
  type SortDir,
  type SortKey,
  type SortSpec,
  type ValueFilter,
} from '../../core/query.js';

export interface ListLimits {
  defaultLimit: number;
  maxLimit: number;
}

const REPEATABLE = new Set(['tag', 'sort_key', 'sort_dir']);
const VALUE_FILTER_KEYS = ['id', 'name', 'status', 'container_format', 'disk_format'] as const;
const VISIBILITIES: readonly string[] = ['community', 'public', 'private', 'shared', 'all'];
const MEMBER_STATUSES: readonly string[] = ['pending', 'accepted', 'rejected', 'all'];
const COMPARE_OPS: readonly string[] = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'];

function bad(message: string): BadRequestError {
  return new BadRequestError(message);
}

/** Python `int(s)`: surrounding whitespace, a sign and digit-group underscores are allowed. */
export function parsePythonInt(s: string): number | null {
  const m = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(s);
  if (!m) return null;
  const n = Number((m[2] ?? '').replace(/_/g, ''));
  // Python has no negative zero; keep `-0` from surfacing as a distinct value.
  return m[1] === '-' && n !== 0 ? -n : n;
}

// iso8601.parse_date's grammar (the library oslo's parse_isotime uses).
const ISO_RE = new RegExp(
  '^(\\d{4})(?:(?:-(\\d{1,2})|(\\d{2})(?!$))(?:(?:-(\\d{1,2})|(\\d{2}))' +
    '(?:[ T](\\d{2})(?::?(\\d{2}))?(?::?(\\d{1,2})(?:[.,](\\d+))?)?(Z|([-+])(\\d{2}):?(\\d{2})?)?)?)?)?$',
);

/** Epoch milliseconds of an ISO 8601 string as Glance reads it (no zone = UTC), or null. */
export function parseIsoTime(s: string): number | null {
  const m = ISO_RE.exec(s);
  if (!m) return null;
  const num = (i: number, dflt: number): number => (m[i] !== undefined ? Number(m[i]) : dflt);
  const year = num(1, 0);
  const month = m[2] !== undefined ? num(2, 1) : num(3, 1);
  const day = m[4] !== undefined ? num(4, 1) : num(5, 1);
  const hour = num(6, 0);
  const minute = num(7, 0);
  const second = num(8, 0);
  const millis = m[9] !== undefined ? Number(m[9].slice(0, 3).padEnd(3, '0')) : 0;
  const tzHour = num(12, 0);
  const tzMinute = num(13, 0);
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  if (hour > 23 || minute > 59 || second > 59 || tzHour > 23 || tzMinute > 59) return null;
  const d = new Date(0);
  // setUTCFullYear, not Date.UTC: the latter maps years 0..99 to 1900..1999.
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, millis);
  const offset = (tzHour * 60 + tzMinute) * 60_000 * (m[11] === '-' ? -1 : 1);
  return d.getTime() - (m[10] !== undefined && m[10] !== 'Z' ? offset : 0);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Glance `split_filter_op`: `op:value`, unless the whole value is an ISO date (then `eq`). */
function splitFilterOp(expression: string): [string, string] {
  const colon = expression.indexOf(':');
  if (colon === -1 || parseIsoTime(expression) !== null) return ['eq', expression];
  return [expression.slice(0, colon), expression.slice(colon + 1)];
}

/** Glance `validate_quotes`: quotes must open after a comma and close before one. */
function validateQuotes(value: string): void {
  let opening = true;
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '"' || (i > 0 && value[i - 1] === '\\')) continue;
    if (opening && i > 0 && value[i - 1] !== ',') {
      throw bad(`Invalid filter value ${value}. There is no comma before opening quotation mark.`);
    }
    if (!opening && i + 1 !== value.length && value[i + 1] !== ',') {
      throw bad(`Invalid filter value ${value}. There is no comma after closing quotation mark.`);
    }
    opening = !opening;
  }
  if (!opening) throw bad(`Invalid filter value ${value}. The quote is not closed.`);
}

/**
 * Glance `split_filter_value_for_quotes` for `in:`. Unlike Glance, backslash escapes inside
 * quotes are decoded (`\"` → `"`), otherwise a value containing a quote could never match.
 */
export function splitInValues(value: string): string[] {
  validateQuotes(value);
  const out: string[] = [];
  const re = /"([^"\\]*(?:\\.[^"\\]*)*)",?|([^,]+),?|,/g;
  for (const m of value.matchAll(re)) {
    if (m[1]) out.push(m[1].replace(/\\(.)/g, '$1'));
    else out.push(m[2] ?? '');
  }
  return out;
}

function valueFilter(raw: string): ValueFilter {
  const [op, operand] = splitFilterOp(raw);
  if (op === 'in') return { op: 'in', values: splitInValues(operand) };
  if (op === 'eq') return { op: 'eq', value: operand };
  throw bad(`Unable to filter by unknown operator '${op}'.`);
}

function isNumericColumn(k: string): k is NumericColumn {
  return (NUMERIC_COLUMNS as readonly string[]).includes(k);
}

function validateSortKey(key: string): SortKey {
  if (!(SORT_KEYS as readonly string[]).includes(key)) {
    throw bad(`Invalid sort key: ${key}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
  }
  return key as SortKey;
}

function validateSortDir(dir: string): SortDir {
  if (dir !== 'asc' && dir !== 'desc') throw bad(`Invalid sort direction: ${dir}`);
  return dir;
}

function parseSort(params: URLSearchParams): { sort: SortSpec[]; defaultDir: SortDir } {
  const sortParam = params.get('sort');
  if (sortParam !== null) {
    if (params.has('sort_key') || params.has('sort_dir')) {
      throw bad('Old and new sorting syntax cannot be combined');
    }
    const sort = sortParam.trim().split(',').map((part): SortSpec => {
      const colon = part.indexOf(':');
      const key = colon === -1 ? part : part.slice(0, colon);
      const dir = colon === -1 ? '' : part.slice(colon + 1);
      return { key: validateSortKey(key.trim()), dir: validateSortDir(dir === '' ? 'desc' : dir.trim()) };
    });
    // Glance's DB layer: the tie-breakers take the direction only when exactly one was given.
    return { sort, defaultDir: sort.length === 1 ? (sort[0] as SortSpec).dir : 'desc' };
  }
  const keys = params.getAll('sort_key').map((k) => validateSortKey(k.trim()));
  const dirs = params.getAll('sort_dir').map((d) => validateSortDir(d.trim()));
  if (dirs.length > 1 && dirs.length !== keys.length) {
    throw bad('Number of sort dirs does not match the number of sort keys');
  }
  const defaultDir: SortDir = dirs.length === 1 ? (dirs[0] as SortDir) : 'desc';
  const sort = keys.map((key, i): SortSpec => ({ key, dir: dirs.length > 1 ? (dirs[i] as SortDir) : defaultDir }));
  return { sort, defaultDir };
}

function parseLimit(raw: string | null, limits: ListLimits): number {
  if (raw === null) return Math.min(limits.defaultLimit, limits.maxLimit);
  const n = parsePythonInt(raw);
  if (n === null) throw bad('limit param must be an integer');
  if (n < 0) throw bad('limit param must be positive');
  return Math.min(n, limits.maxLimit);
}

function parseBooleanFilter(name: string, value: string): boolean {
  if (value !== 'true' && value !== 'false') {
    throw bad(`Invalid value '${value}' for '${name}' filter. Valid values are 'true' or 'false'.`);
  }
  return value === 'true';
}

function dateFilter(column: DateFilter['column'], raw: string): DateFilter {
  const [op, isotime] = splitFilterOp(raw);
  // Glance parses the date before it looks at the operator, so a bad date wins.
  const value = parseIsoTime(isotime);
  if (value === null) throw bad(`Bad "${column}" query filter format. Use ISO 8601 DateTime notation.`);
  if (!COMPARE_OPS.includes(op)) throw bad('Unable to filter on a unknown operator.');
  return { column, op: op as CompareOp, value };
}

function numericValue(raw: string, message: string): number {
  const n = parsePythonInt(raw);
  if (n === null) throw bad(message);
  return n;
}

export function parseImageListQuery(params: URLSearchParams, limits: ListLimits): ImageQuery {
  // Glance silently turns a repeated single-valued key into a property filter (an empty list);
  // a 400 tells the client what went wrong instead.
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (seen.has(key) && !REPEATABLE.has(key)) throw bad(`Duplicate query parameter: ${key}`);
    seen.add(key);
  }

  const filters: ImageFilters = {};
  const visibility = params.get('visibility');
  // An empty value is falsy in Glance and therefore ignored.
  if (visibility) {
    if (!VISIBILITIES.includes(visibility)) throw bad(`Invalid visibility value: ${visibility}`);
    filters.visibility = visibility as ListVisibility;
  }
  if (params.has('changes-since')) throw bad('The "changes-since" filter is no longer available on v2.');
  const memberStatus = params.get('member_status') ?? 'accepted';
  if (!MEMBER_STATUSES.includes(memberStatus)) throw bad(`Invalid status: ${memberStatus}`);
  filters.member_status = memberStatus as MemberStatusFilter;
  const limit = parseLimit(params.get('limit'), limits);
  const { sort, defaultDir } = parseSort(params);

  const osHidden = (params.get('os_hidden') ?? 'false').toLowerCase();
  filters.os_hidden = parseBooleanFilter('os_hidden', osHidden);
  const prot = params.get('protected');
  if (prot !== null) filters.protected = parseBooleanFilter('protected', prot);
  const tags = params.getAll('tag').map((t) => t.trim());
  if (tags.length > 0) filters.tags = tags;

  const handled = new Set([
    'limit', 'marker', 'member_status', 'tag', 'sort', 'sort_key', 'sort_dir', 'visibility',
    'changes-since', 'os_hidden', 'protected',
  ]);
  // Null prototype: property names come from the client (`__proto__` must stay a plain key).
  const properties: Record<string, string> = Object.create(null) as Record<string, string>;
  let impossible = false;
  for (const [key, value] of params) {
    if (handled.has(key)) continue;
    if ((VALUE_FILTER_KEYS as readonly string[]).includes(key)) {
      filters[key as (typeof VALUE_FILTER_KEYS)[number]] = valueFilter(value);
    } else if (key.endsWith('_min') || key.endsWith('_max')) {
      const n = numericValue(value, 'Unable to filter on a range with a non-numeric value.');
      const column = key.slice(0, -4);
      // Glance answers 500 here (AttributeError); the spec asks for a 400.
      if (!isNumericColumn(column)) throw bad(`Unable to filter on a range of '${column}': not a numeric image attribute.`);
      (filters.numeric ??= []).push({ column, op: key.endsWith('_min') ? 'gte' : 'lte', value: n });
    } else if (key === 'created_at' || key === 'updated_at') {
      (filters.dates ??= []).push(dateFilter(key, value));
    } else if (isNumericColumn(key)) {
      const n = numericValue(value, `Unable to filter on '${key}' with a non-numeric value.`);
      (filters.numeric ??= []).push({ column: key, op: 'eq', value: n });
    } else if (key === 'owner' || key === 'checksum' || key === 'os_hash_value') {
      filters[key] = value;
    } else if (key === 'deleted') {
      // Glance overwrites this filter with deleted=False before querying.
    } else if (key === 'deleted_at') {
      // A column filter on deleted_at can never match a listed (non-deleted) image in Glance.
      impossible = true;
    } else if (key === 'os_hash_algo') {
      // A column filter in Glance; ImageFilters cannot express it yet.
      throw bad("Filtering on 'os_hash_algo' is not supported.");
    } else {
      properties[key] = value;
    }
  }
  if (Object.keys(properties).length > 0) filters.properties = properties;
  // `in:` with no values matches nothing: the cheapest way to express an always-false filter.
  if (impossible) filters.id = { op: 'in', values: [] };

  const query: ImageQuery = { filters, sort, defaultDir, limit };
  const marker = params.get('marker');
  if (marker !== null) query.marker = marker;
  return query;
}

/** Python `urllib.parse.quote_plus` (safe = letters, digits, `_.-~`; space → `+`). */
export function quotePlus(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x20) out += '+';
    else if (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))) out += String.fromCharCode(b);
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function encodePairs(pairs: Array<[string, string]>): string {
  return pairs.map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join('&');
}

/**
 * `first` and `next` of an image list page. Repeated parameters are kept (Glance collapses
 * them to their last value, which changes the meaning of `tag=a&tag=b`); `marker` is dropped
 * from `first` and appended last in `next`.
 */
export function firstAndNextLinks(
  params: URLSearchParams,
  lastId: string | null,
  full: boolean,
  base = '/v2/images',
): { first: string; next?: string } {
  const pairs = [...params].filter(([k]) => k !== 'marker');
  const query = encodePairs(pairs);
  const links: { first: string; next?: string } = { first: query ? `${base}?${query}` : base };
  if (full && lastId !== null) links.next = `${base}?${encodePairs([...pairs, ['marker', lastId]])}`;
  return links;
}
