import type { RequestContext } from '../core/context.js';
import type { Image } from '../core/image.js';
import type { CompareOp, ImageQuery, NumericFilter, ValueFilter } from '../core/query.js';

/** v2 list parameters that are not extra-property filters (a property of that name cannot be asked for). */
const V2_PARAMS: ReadonlySet<string> = new Set([
  'limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'name', 'id', 'status', 'container_format', 'disk_format',
  'visibility', 'member_status', 'owner', 'tag', 'protected', 'os_hidden', 'checksum', 'os_hash_value', 'size',
  'virtual_size', 'min_ram', 'min_disk', 'created_at', 'updated_at', 'changes-since',
]);

function quoteIn(v: string): string {
  return /[,"]/.test(v) ? `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : v;
}

function valueParam(f: ValueFilter): string {
  // `eq:` always: a bare value containing ':' would be read as an operator (spec v2 §5.3).
  return f.op === 'eq' ? `eq:${f.value}` : `in:${f.values.map(quoteIn).join(',')}`;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface UpstreamListPlan {
  params: URLSearchParams;
  /** What v2 cannot express, checked on the returned page (pages may then come back short). */
  keep: (image: Image) => boolean;
}

/**
 * An ImageQuery as a v2 `GET /v2/images` query string. The full sort tuple (with the implicit
 * created_at, id) is sent so the upstream orders exactly as the core contract says.
 */
export function planList(query: ImageQuery, ctx: RequestContext): UpstreamListPlan {
  const p = new URLSearchParams();
  const f = query.filters;
  const checks: Array<(i: Image) => boolean> = [];
  for (const key of ['id', 'name', 'status', 'container_format', 'disk_format'] as const) {
    const v = f[key];
    if (v !== undefined) p.set(key, valueParam(v));
  }
  let visibility = f.visibility;
  // v1 admin scopes (spec v1 §7.3) are not v2 queries: the upstream lists what it shows an admin
  // and the page is narrowed here (so it may come back short). 'as-user' keeps public images and
  // the admin project's own; shared images the admin's project is a member of cannot be told apart.
  if (ctx.isAdmin && f.adminScope !== undefined && visibility === undefined) {
    const scope = f.adminScope;
    if (scope !== 'as-user') visibility = 'all';
    const own = (i: Image): boolean => i.owner !== null && i.owner === ctx.projectId;
    checks.push((i) =>
      scope === 'as-user'
        ? i.visibility === 'public' || own(i)
        : (i.visibility !== 'community' || own(i)) && (scope === 'all' || i.visibility !== 'public'),
    );
  }
  if (visibility !== undefined) p.set('visibility', visibility);
  if (f.member_status !== undefined) p.set('member_status', f.member_status);
  if (f.owner !== undefined) p.set('owner', f.owner);
  for (const t of f.tags ?? []) p.append('tag', t);
  if (f.protected !== undefined) p.set('protected', String(f.protected));
  if (f.os_hidden !== undefined) p.set('os_hidden', String(f.os_hidden));
  if (f.checksum !== undefined) p.set('checksum', f.checksum);
  if (f.os_hash_value !== undefined) p.set('os_hash_value', f.os_hash_value);
  for (const n of f.numeric ?? []) numeric(p, n, checks);
  const dated = new Set<string>();
  for (const d of f.dates ?? []) {
    // Compared against the displayed second, as the core contract says; Glance compares its finer
    // stored value. The server gets the widest equivalent bound (once per column: Glance reads one
    // value per key), the page is checked exactly.
    const lo = Math.floor(d.value / 1000) * 1000;
    const hi = lo + 1000;
    const bound: Partial<Record<CompareOp, string>> = { eq: `gte:${iso(lo)}`, gt: `gte:${iso(hi)}`, gte: `gte:${iso(lo)}`, lt: `lt:${iso(lo)}`, lte: `lt:${iso(hi)}` };
    const server = bound[d.op];
    if (server !== undefined && !dated.has(d.column)) {
      p.set(d.column, server);
      dated.add(d.column);
    }
    const test: Record<CompareOp, (v: number) => boolean> = {
      eq: (v) => v >= lo && v < hi,
      neq: (v) => v < lo || v >= hi,
      gt: (v) => v >= hi,
      gte: (v) => v >= lo,
      lt: (v) => v < lo,
      lte: (v) => v < hi,
    };
    checks.push((i) => test[d.op](i[d.column]));
  }
  for (const [k, v] of Object.entries(f.properties ?? {})) {
    if (V2_PARAMS.has(k) || k.endsWith('_min') || k.endsWith('_max')) checks.push((i) => i.properties[k] === v);
    else p.set(k, v);
  }
  const sort = [...query.sort];
  for (const key of ['created_at', 'id'] as const) if (!sort.some((s) => s.key === key)) sort.push({ key, dir: query.defaultDir });
  p.set('sort', sort.map((s) => `${s.key}:${s.dir}`).join(','));
  p.set('limit', String(query.limit));
  if (query.marker !== undefined) p.set('marker', query.marker);
  return { params: p, keep: (i) => checks.every((c) => c(i)) };
}

function numeric(p: URLSearchParams, n: NumericFilter, checks: Array<(i: Image) => boolean>): void {
  switch (n.op) {
    case 'gte':
      p.append(`${n.column}_min`, String(n.value));
      return;
    case 'lte':
      p.append(`${n.column}_max`, String(n.value));
      return;
    case 'gt':
      p.append(`${n.column}_min`, String(Math.floor(n.value) + 1));
      return;
    case 'lt':
      p.append(`${n.column}_max`, String(Math.ceil(n.value) - 1));
      return;
    case 'eq':
      p.append(n.column, String(n.value));
      return;
    case 'neq':
      checks.push((i) => i[n.column] !== n.value);
  }
}
