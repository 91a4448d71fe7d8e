/**
 * A structured image list query. Each dialect parses its own query string into this shape;
 * the core evaluates it (SQL in the embedded core, v2 query string in the upstream core).
 */
export const SORT_KEYS = [
  'name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at', 'updated_at',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

export interface SortSpec {
  key: SortKey;
  dir: SortDir;
}

/** Equality against one value or any of a list (`in:a,b`). */
export type ValueFilter = { op: 'eq'; value: string } | { op: 'in'; values: string[] };

export const NUMERIC_COLUMNS = ['size', 'virtual_size', 'min_ram', 'min_disk'] as const;
export type NumericColumn = (typeof NUMERIC_COLUMNS)[number];

export type CompareOp = 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';

export interface NumericFilter {
  column: NumericColumn;
  op: CompareOp;
  value: number;
}

export interface DateFilter {
  column: 'created_at' | 'updated_at';
  op: CompareOp;
  /** epoch milliseconds */
  value: number;
}

export type ListVisibility = 'public' | 'private' | 'shared' | 'community' | 'all';
export type MemberStatusFilter = 'accepted' | 'pending' | 'rejected' | 'all';

export interface ImageFilters {
  id?: ValueFilter;
  name?: ValueFilter;
  status?: ValueFilter;
  container_format?: ValueFilter;
  disk_format?: ValueFilter;
  visibility?: ListVisibility;
  /** Default 'accepted' (v2). */
  member_status?: MemberStatusFilter;
  owner?: string;
  /** The image must carry every one of these tags. */
  tags?: string[];
  protected?: boolean;
  /** Default false: hidden images are excluded; true returns only hidden ones. */
  os_hidden?: boolean;
  checksum?: string;
  os_hash_value?: string;
  numeric?: NumericFilter[];
  dates?: DateFilter[];
  /** Extra-property equality filters; every one must match. */
  properties?: Record<string, string>;
  /**
   * v1 `changes-since`: deleted, pending_delete and killed images are listed too, which v2
   * never does.
   */
  includeGone?: boolean;
  /**
   * v1 admin listing scopes (spec v1 §3.2): 'as-user' lists like a regular user (public, own,
   * shared with the admin's project); 'non-public' every non-public image; 'all' every image.
   * Others' community images stay excluded in all three. Ignored for non-admins.
   */
  adminScope?: 'as-user' | 'non-public' | 'all';
}

export interface ImageQuery {
  filters: ImageFilters;
  /** Explicit sort keys, most significant first. created_at and id are appended by the core. */
  sort: SortSpec[];
  /** Direction for the implicit created_at/id tie-breakers. */
  defaultDir: SortDir;
  limit: number;
  marker?: string;
}

export interface ImagePage<T> {
  images: T[];
  /** True when the page was full (exactly `limit` rows), so a `next` link is due. */
  full: boolean;
}
