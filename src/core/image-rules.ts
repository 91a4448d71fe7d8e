/**
 * Glance's rules for image metadata, as one import for the cores:
 * create validation (create-rules.ts), PATCH semantics (patch-rules.ts), and the shared
 * field rules (field-rules.ts) that the tag and member endpoints also need.
 */
export { validateCreate, type NewImageFields } from './create-rules.js';
export { applyPatch, invisibleLocations, type LocationOpHandler, type PatchOptions } from './patch-rules.js';
export {
  assertNoFourByteUnicode,
  assertPropertyQuota,
  assertTagQuota,
  dedupeTags,
  isReservedKey,
  validateMemberStatus,
  validateTag,
  type ImageLimits,
} from './field-rules.js';
export type { FormatLists } from './schema-check.js';
