import type { RequestContext } from '../../core/context.js';
import type { Image } from '../../core/image.js';
import type { CompareOp, ImageQuery, SortKey, SortSpec, ValueFilter } from '../../core/query.js';

export interface SqlQuery {
  sql: string;
  params: unknown[];
}

/** Nullable sort columns compare as ''/0 (as Glance does), so ordering and keyset agree. */
const SORT_EXPR: Record<SortKey, string> = {
  name: "COALESCE(name, '')",
  status: 'status',
  container_format: "COALESCE(container_format, '')",
  disk_format: "COALESCE(disk_format, '')",
  size: 'COALESCE(size, 0)',
  id: 'id',
  created_at: 'created_at',
  updated_at: 'updated_at',
};

function sortValue(image: Image, key: SortKey): string | number {
  const v = image[key];
  if (v === null) return key === 'size' ? 0 : '';
  return v;
}

const OPS: Record<CompareOp, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=', neq: '!=' };

/** The full ordering: explicit keys, then created_at and id unless already given. */
export function fullSort(query: ImageQuery): SortSpec[] {
  const sort = [...query.sort];
  for (const key of ['created_at', 'id'] as const) {
    if (!sort.some((s) => s.key === key)) sort.push({ key, dir: query.defaultDir });
  }
  return sort;
}

/**
 * Translates a list query into SQL that selects the ids of one page (the rows themselves come
 * from the image cache, so a page of hot images costs no row decoding). Visibility follows Glance's DB layer (spec v2 §5.3):
 * regular users see their own images, public and community ones, and shared images they
 * are a member of (with the requested member status); `visibility` narrows that set.
 */
export function buildListSql(query: ImageQuery, ctx: RequestContext, marker: Image | undefined): SqlQuery {
  const f = query.filters;
  const where: string[] = f.includeGone ? [] : ['deleted = 0', "status NOT IN ('deleted', 'pending_delete', 'killed')"];
  const params: unknown[] = [];
  const project = ctx.projectId;
  const asUser = !ctx.isAdmin || f.adminScope === 'as-user';

  if (ctx.isAdmin && f.adminScope === 'non-public') where.push("visibility != 'public'");
  if (asUser) {
    const memberStatus = f.member_status ?? 'accepted';
    const memberCond =
      project === null
        ? '0'
        : `(visibility = 'shared' AND EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = images.id
            AND m.member_id = ? AND m.deleted = 0${memberStatus === 'all' ? '' : ' AND m.status = ?'}))`;
    where.push(`(${project === null ? '' : 'owner = ? OR '}visibility IN ('public', 'community') OR ${memberCond})`);
    if (project !== null) {
      params.push(project, project);
      if (memberStatus !== 'all') params.push(memberStatus);
    }
  }
  if (f.visibility !== undefined && f.visibility !== 'all') {
    where.push('visibility = ?');
    params.push(f.visibility);
  } else if (f.visibility === undefined) {
    if (project === null) where.push("visibility != 'community'");
    else {
      where.push("(owner = ? OR visibility != 'community')");
      params.push(project);
    }
  }
  where.push('os_hidden = ?');
  params.push(f.os_hidden === true ? 1 : 0);

  const valueFilters: Array<[string, ValueFilter | undefined]> = [
    ['id', f.id],
    ['name', f.name],
    ['status', f.status],
    ['container_format', f.container_format],
    ['disk_format', f.disk_format],
  ];
  for (const [col, vf] of valueFilters) {
    if (vf === undefined) continue;
    if (vf.op === 'eq') {
      where.push(`${col} = ?`);
      params.push(vf.value);
    } else {
      where.push(vf.values.length === 0 ? '0' : `${col} IN (${vf.values.map(() => '?').join(', ')})`);
      params.push(...vf.values);
    }
  }
  const exact: Array<[string, unknown]> = [
    ['owner', f.owner],
    ['checksum', f.checksum],
    ['os_hash_value', f.os_hash_value],
    ['protected', f.protected === undefined ? undefined : f.protected ? 1 : 0],
  ];
  for (const [col, v] of exact) {
    if (v === undefined) continue;
    where.push(`${col} = ?`);
    params.push(v);
  }
  for (const n of f.numeric ?? []) {
    where.push(`${n.column} ${OPS[n.op]} ?`);
    params.push(n.value);
  }
  for (const d of f.dates ?? []) {
    // The API shows whole seconds, so a date filter compares against the displayed second.
    const lo = Math.floor(d.value / 1000) * 1000;
    const hi = lo + 1000;
    const cond: Record<CompareOp, [string, number[]]> = {
      eq: [`(${d.column} >= ? AND ${d.column} < ?)`, [lo, hi]],
      neq: [`(${d.column} < ? OR ${d.column} >= ?)`, [lo, hi]],
      gt: [`${d.column} >= ?`, [hi]],
      gte: [`${d.column} >= ?`, [lo]],
      lt: [`${d.column} < ?`, [lo]],
      lte: [`${d.column} < ?`, [hi]],
    };
    const [sql, values] = cond[d.op];
    where.push(sql);
    params.push(...values);
  }
  for (const tag of f.tags ?? []) {
    where.push('EXISTS (SELECT 1 FROM image_tags t WHERE t.image_id = images.id AND t.tag = ?)');
    params.push(tag);
  }
  for (const [k, v] of Object.entries(f.properties ?? {})) {
    where.push('EXISTS (SELECT 1 FROM image_properties p WHERE p.image_id = images.id AND p.name = ? AND p.value = ?)');
    params.push(k, v);
  }

  const sort = fullSort(query);
  if (marker !== undefined) {
    const alternatives: string[] = [];
    for (let i = 0; i < sort.length; i++) {
      const parts: string[] = [];
      for (let j = 0; j < i; j++) {
        parts.push(`${SORT_EXPR[sort[j]!.key]} = ?`);
        params.push(sortValue(marker, sort[j]!.key));
      }
      const s = sort[i]!;
      parts.push(`${SORT_EXPR[s.key]} ${s.dir === 'asc' ? '>' : '<'} ?`);
      params.push(sortValue(marker, s.key));
      alternatives.push(`(${parts.join(' AND ')})`);
    }
    where.push(`(${alternatives.join(' OR ')})`);
  }
  const order = sort.map((s) => `${SORT_EXPR[s.key]} ${s.dir.toUpperCase()}`).join(', ');
  params.push(query.limit);
  return { sql: `SELECT id FROM images WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?`, params };
}
