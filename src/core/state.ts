import { BadRequestError, ConflictError } from './errors.js';
import type { Image, ImageStatus } from './image.js';

/**
 * Glance's image status machine (domain `valid_state_targets`, spec v2 §4). A status may only
 * be assigned if it is listed for the current one; same-status assignments are not listed and
 * are therefore refused too, exactly like Glance.
 */
export const STATUS_TRANSITIONS: Readonly<Record<ImageStatus, readonly ImageStatus[]>> = Object.freeze({
  queued: ['saving', 'uploading', 'importing', 'active', 'deleted'],
  saving: ['active', 'killed', 'deleted', 'queued'],
  uploading: ['importing', 'queued', 'deleted'],
  importing: ['active', 'deleted', 'queued'],
  active: ['pending_delete', 'deleted', 'deactivated'],
  deactivated: ['active', 'deleted'],
  killed: ['deleted'],
  pending_delete: ['deleted', 'active'],
  deleted: [],
});

export function canTransition(from: ImageStatus, to: ImageStatus): boolean {
  return STATUS_TRANSITIONS[from].includes(to);
}

export function transitionMessage(from: ImageStatus, to: ImageStatus): string {
  return `Image status transition from ${from} to ${to} is not allowed`;
}

/**
 * Throws 409 unless `from → to` is allowed. `reword` lets a caller keep the status but say it
 * its own way (the v1 dialect words some of these differently); `reason` stays stable.
 */
export function assertTransition(
  from: ImageStatus,
  to: ImageStatus,
  reword?: (from: ImageStatus, to: ImageStatus) => string,
): void {
  if (canTransition(from, to)) return;
  throw new ConflictError((reword ?? transitionMessage)(from, to), { reason: 'status_transition' });
}

/** Statuses whose images are gone from the API: every per-image call answers 404. */
const GONE: ReadonlySet<ImageStatus> = new Set(['deleted', 'pending_delete']);
/** Never listed, even for admins (killed images still answer GET). */
const UNLISTABLE: ReadonlySet<ImageStatus> = new Set(['deleted', 'pending_delete', 'killed']);

export function isGone(status: ImageStatus): boolean {
  return GONE.has(status);
}

export function isListable(status: ImageStatus): boolean {
  return !UNLISTABLE.has(status);
}

/** Data may only be written into a queued image (PUT /file and PUT /stage). */
export function acceptsData(status: ImageStatus): boolean {
  return status === 'queued';
}

/** disk_format / container_format may only change while the image has no data yet. */
export function formatsMutable(status: ImageStatus): boolean {
  return status === 'queued' || status === 'importing';
}

/** The format attributes still unset, in Glance's order. */
export function missingFormats(image: Pick<Image, 'disk_format' | 'container_format'>): string[] {
  const missing: string[] = [];
  if (!image.disk_format) missing.push('disk_format');
  if (!image.container_format) missing.push('container_format');
  return missing;
}

/**
 * Leaving queued/uploading for saving/active/importing needs both formats (domain status
 * setter). Upload reports it as 400 with this text; import words its own 409 (§7.2).
 */
export function assertFormatsForData(
  image: Pick<Image, 'status' | 'disk_format' | 'container_format'>,
  to: ImageStatus,
): void {
  if (!(image.status === 'queued' || image.status === 'uploading')) return;
  if (!(to === 'saving' || to === 'active' || to === 'importing')) return;
  const missing = missingFormats(image);
  if (missing.length === 0) return;
  const noun = missing.length === 1 ? 'Property' : 'Properties';
  throw new BadRequestError(`${noun} ${missing.join(', ')} must be set prior to saving data.`, {
    reason: 'formats_missing',
  });
}
