/**
 * Image ids. The image schema's `id` pattern accepts either hex case and nothing but the
 * 8-4-4-4-12 form, so that is exactly what we accept.
 */

/** The schema's pattern, byte for byte (also used for `kernel_id` / `ramdisk_id`). */
export const UUID_PATTERN_SOURCE =
  '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';

// JS `$` (no `m` flag) only matches at the very end; Python's `re.search` would also accept a
// trailing "\n". Being stricter keeps newline-suffixed ids out of URLs and store keys.
const UUID_RE = new RegExp(UUID_PATTERN_SOURCE);

export function isUuid(s: unknown): s is string {
  return typeof s === 'string' && UUID_RE.test(s);
}

/**
 * Lower-case form, for comparing ids that a client may have typed in another case. Glance
 * stores a client-supplied id verbatim, so do not use this to rewrite ids on create.
 */
export function canonicalUuid(s: string): string | null {
  return isUuid(s) ? s.toLowerCase() : null;
}
