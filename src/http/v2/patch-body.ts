/**
 * `PATCH /v2/images/{id}` request decoding (spec v2 §5.4.1, §5.4.2): the two json-patch media
 * types, Glance's restricted JSON pointers and its exact 400 messages. What the operations may
 * change (read-only, reserved, schema) is the core's business, not this module's.
 */
import { BadRequestError, UnsupportedMediaTypeError } from '../../core/errors.js';
import type { PatchOp } from '../../core/patch.js';

export type PatchDialect = '2.0' | '2.1';

const MEDIA_TYPES: Readonly<Record<string, PatchDialect>> = {
  'application/openstack-images-v2.0-json-patch': '2.0',
  'application/openstack-images-v2.1-json-patch': '2.1',
};

export const ACCEPT_PATCH = Object.keys(MEDIA_TYPES).sort().join(', ');

const OPERATIONS = ['add', 'remove', 'replace'] as const;
type Operation = (typeof OPERATIONS)[number];

// How many pointer segments each op may have; everything not listed takes exactly one.
const DEPTH_LIMITS: Readonly<Record<string, Partial<Record<Operation, number>>>> = {
  locations: { add: 2, remove: 2, replace: 1 },
};

function bad(message: string): BadRequestError {
  return new BadRequestError(message);
}

/** The dialect for a request Content-Type; media-type parameters (`; charset=…`) are ignored. */
export function parsePatchContentType(contentType: string | undefined): PatchDialect {
  const mediaType = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  const dialect = Object.hasOwn(MEDIA_TYPES, mediaType) ? MEDIA_TYPES[mediaType] : undefined;
  if (dialect === undefined) {
    // WebOb's 415 template shows no message; the renderer takes the request's Content-Type.
    throw new UnsupportedMediaTypeError('Unsupported media type for PATCH.', {
      headers: { 'Accept-Patch': ACCEPT_PATCH },
    });
  }
  return dialect;
}

/** Python `str()` of a JSON value, for messages that echo what the client sent. */
function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null) return 'None';
  return JSON.stringify(v) ?? String(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function has(obj: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(obj, key);
}

function operationV21(change: Record<string, unknown>): Operation {
  const op = has(change, 'op') ? change.op : null;
  const available = OPERATIONS.join(', ');
  if (op === null || op === undefined) {
    throw bad(`Unable to find \`op\` in JSON Schema change. It must be one of the following: ${available}.`);
  }
  if (!(OPERATIONS as readonly unknown[]).includes(op)) {
    throw bad(`Invalid operation: \`${pyStr(op)}\`. It must be one of the following: ${available}.`);
  }
  return op as Operation;
}

function operationV20(change: Record<string, unknown>): Operation {
  const present = OPERATIONS.filter((k) => has(change, k));
  if (present.length > 1) {
    throw bad('Operation objects must contain only one member named "add", "remove", or "replace".');
  }
  const op = present[0];
  if (op === undefined) {
    throw bad('Operation objects must contain exactly one member named "add", "remove", or "replace".');
  }
  return op;
}

/** Glance `_validate_json_pointer` + `_decode_json_pointer`. */
export function decodePointer(pointer: unknown): string[] {
  // Glance crashes (500) on a non-string pointer; a 400 is the honest answer.
  if (typeof pointer !== 'string') throw bad(`Pointer \`${pyStr(pointer)}\` is not a string.`);
  if (!pointer.startsWith('/')) throw bad(`Pointer \`${pointer}\` does not start with "/".`);
  if (/\/\s*?\//.test(pointer.slice(1))) throw bad(`Pointer \`${pointer}\` contains adjacent "/".`);
  if (pointer.length > 1 && pointer.endsWith('/')) throw bad(`Pointer \`${pointer}\` end with "/".`);
  const invalidToken = bad(`Pointer \`${pointer}\` does not contains valid token.`);
  if (pointer.slice(1).trim() === '/') throw invalidToken;
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) {
    throw bad(`Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`);
  }
  const path = pointer
    .replace(/^\/+/, '')
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~').trim());
  // Glance would create a property named "" from `/` (spec §15 #10); refuse it instead.
  if (path[0] === '') throw invalidToken;
  return path;
}

function validateDepth(op: Operation, path: string[]): void {
  const root = path[0] ?? '';
  const limit = (Object.hasOwn(DEPTH_LIMITS, root) ? DEPTH_LIMITS[root]?.[op] : undefined) ?? 1;
  if (path.length !== limit) throw bad(`Invalid JSON pointer for this resource: '/${path.join('/')}'`);
}

/**
 * Decodes an already JSON-parsed PATCH body. `undefined` means the request had no body.
 * Checks run in Glance's order, per operation: op, pointer, depth, value.
 */
export function parsePatchBody(body: unknown, dialect: PatchDialect): PatchOp[] {
  if (body === undefined) throw bad('Body expected in request.');
  // Glance's JSON deserializer refuses scalars before the PATCH handler sees the body.
  if (typeof body !== 'object' || body === null) throw bad('Unexpected body type. Expected list/dict.');
  if (!Array.isArray(body)) throw bad('Request body must be a JSON array of operation objects.');

  return body.map((change: unknown): PatchOp => {
    if (!isObject(change)) throw bad('Operations must be JSON objects.');
    let op: Operation;
    let pointer: unknown;
    if (dialect === '2.1') {
      op = operationV21(change);
      if (!has(change, 'path')) throw bad("Unable to find 'path' in JSON Schema change");
      pointer = change.path;
    } else {
      op = operationV20(change);
      pointer = change[op];
    }
    const path = decodePointer(pointer);
    validateDepth(op, path);
    const strictAdd = dialect === '2.0';
    // Glance never reads a value for remove, so none is passed on.
    if (op === 'remove') return { op, path, hasValue: false, strictAdd };
    if (!has(change, 'value')) throw bad(`Operation "${op}" requires a member named "value".`);
    return { op, path, value: change.value, hasValue: true, strictAdd };
  });
}
