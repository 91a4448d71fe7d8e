/**
 * A normalised PATCH operation on an image. The v2 route decodes either json-patch media type
 * into these; the v1 route builds them from headers. Glance's rules for what may be changed
 * are applied by the core (src/core/image-rules.ts).
 */
export interface PatchOp {
  op: 'add' | 'replace' | 'remove';
  /** Decoded JSON-pointer tokens, e.g. ['name'] or ['locations', '-']. */
  path: string[];
  value?: unknown;
  /** True when the op carried a `value` member (add/replace need one). */
  hasValue: boolean;
  /**
   * v2.0 json-patch dialect: `add` of something that already exists is a 409.
   * v2.1 (RFC 6902) overwrites instead.
   */
  strictAdd: boolean;
}
