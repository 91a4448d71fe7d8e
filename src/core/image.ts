/**
 * The one image record the core speaks. It is v2-shaped: every dialect renders from it.
 * Timestamps are epoch milliseconds so that each dialect can format them its own way
 * (v2 `YYYY-MM-DDTHH:MM:SSZ`, v1 `YYYY-MM-DDTHH:MM:SS.ffffff`).
 */
export const IMAGE_STATUSES = [
  'queued',
  'saving',
  'active',
  'killed',
  'deleted',
  'pending_delete',
  'deactivated',
  'uploading',
  'importing',
] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

export const VISIBILITIES = ['public', 'community', 'shared', 'private'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export interface ImageLocation {
  url: string;
  metadata: Record<string, unknown>;
  status: 'active' | 'pending' | 'deleted';
}

export interface Image {
  id: string;
  name: string | null;
  disk_format: string | null;
  container_format: string | null;
  visibility: Visibility;
  size: number | null;
  virtual_size: number | null;
  status: ImageStatus;
  checksum: string | null;
  protected: boolean;
  min_ram: number;
  min_disk: number;
  owner: string | null;
  os_hidden: boolean;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  created_at: number;
  updated_at: number;
  deleted: boolean;
  deleted_at: number | null;
  /** Extra (non-base) properties, string-valued, in insertion order. Includes os_glance_* bookkeeping. */
  properties: Record<string, string>;
  /** De-duplicated tag set, in a stable order. */
  tags: string[];
  locations: ImageLocation[];
  /** Ids of the stores that hold this image's bytes (multi-store). */
  stores: string[];
}

/** Base attribute names: everything that is not an extra property. */
export const BASE_ATTRIBUTES = [
  'id',
  'name',
  'disk_format',
  'container_format',
  'visibility',
  'size',
  'virtual_size',
  'status',
  'checksum',
  'protected',
  'min_ram',
  'min_disk',
  'owner',
  'os_hidden',
  'os_hash_algo',
  'os_hash_value',
  'created_at',
  'updated_at',
  'tags',
] as const;

/** v1's pre-declared size and md5 of a reserved image (spec v1 §2), until data arrives. */
export const DECLARED_SIZE = 'os_glance_declared_size';
export const DECLARED_CHECKSUM = 'os_glance_declared_checksum';

/** Glance's import lock: the id of the import task that holds the image (spec v2 §7). */
export const IMPORT_TASK = 'os_glance_import_task';
/** Stores an import failed to reach, comma-separated (spec v2 §7). */
export const FAILED_IMPORT = 'os_glance_failed_import';

/**
 * An interoperable import holds the image. Glance answers 202 to the import call while the
 * image is still `queued`, so this lock, not the status, is what says that data is on its way.
 */
export function importInFlight(image: Pick<Image, 'properties'>): boolean {
  const task = Object.hasOwn(image.properties, IMPORT_TASK) ? image.properties[IMPORT_TASK] : undefined;
  return task !== undefined && task !== '' && !importFailed(image);
}

/** The last import left stores it could not reach. */
export function importFailed(image: Pick<Image, 'properties'>): boolean {
  const failed = Object.hasOwn(image.properties, FAILED_IMPORT) ? image.properties[FAILED_IMPORT] : undefined;
  return failed !== undefined && failed !== '';
}

/**
 * Extra properties the API never shows: os_glance_stage_host (spec v2 §3.1) and the gateway's
 * own bookkeeping. Being os_glance_*, clients can neither set nor remove them.
 */
export const HIDDEN_PROPERTIES: ReadonlySet<string> = new Set(['os_glance_stage_host', DECLARED_SIZE, DECLARED_CHECKSUM]);

export const DEFAULT_DISK_FORMATS = [
  'ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop',
] as const;
export const DEFAULT_CONTAINER_FORMATS = [
  'ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed',
] as const;

/** Input of createImage: the v2 create body, already parsed as a JSON object. */
export type ImageCreateInput = Record<string, unknown>;
