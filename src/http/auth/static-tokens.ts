import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { makeContext, type RequestContext } from '../../core/context.js';
import { ClientAbortError, UnauthorizedError } from '../../core/errors.js';
import type { Authenticator } from './authenticator.js';

/**
 * A fixed table of tokens read from a JSON file, for small deployments and tests without Keystone:
 *
 *   { "<token>": { "project_id": "...", "user_id": "...", "roles": ["member"] }, ... }
 *
 * `project_id` and `user_id` are non-empty strings or null; `roles` is an array of non-empty
 * strings (lower-cased on load; `admin` ⇒ is_admin). No other keys are accepted.
 * Errors name the file and the entry by its position (`entry #3`), never by the token.
 *
 * 401s carry `WWW-Authenticate: Static` unless `wwwAuthenticate` says otherwise (null omits it):
 * RFC 9110 requires a challenge on 401, and pretending to be Keystone would send clients
 * looking for an identity service that does not exist.
 */
export interface StaticTokenAuthenticatorOptions {
  /** Value of the WWW-Authenticate header on 401s; null omits it. Default `Static`. */
  wwwAuthenticate?: string | null;
}

interface StaticIdentity {
  projectId: string | null;
  userId: string | null;
  roles: string[];
}

/** Same text as Keystone mode (spec v2 §1.2: WebOb's class default explanation). */
const UNAUTHORIZED_MESSAGE =
  'This server could not verify that you are authorized to access the document you requested. ' +
  'Either you supplied the wrong credentials (e.g., bad password), or your browser does not ' +
  'understand how to supply the credentials required.';

const ENTRY_KEYS = new Set(['project_id', 'user_id', 'roles']);

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)?.trim() || undefined;

/** Table key: SHA-256 of the token, so the raw tokens are not kept around as map keys. */
const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

export class StaticTokenFileError extends Error {
  override name = 'StaticTokenFileError';
}

/** Parses and strictly validates a tokens file. Exported for config validation and tests. */
export function loadTokenFile(path: string): Map<string, StaticIdentity> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new StaticTokenFileError(`tokens file ${path}: cannot read (${typeof code === 'string' ? code : String(err)})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text) as unknown;
  } catch (err) {
    // JSON.parse messages can quote the text around the error, i.e. a token: keep only the position.
    const pos = /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
    throw new StaticTokenFileError(`tokens file ${path}: not valid JSON${pos !== undefined ? ` (near position ${pos})` : ''}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new StaticTokenFileError(`tokens file ${path}: must be a JSON object mapping tokens to identities`);
  }
  const table = new Map<string, StaticIdentity>();
  let n = 0;
  for (const [token, value] of Object.entries(doc)) {
    n++;
    const where = `tokens file ${path}: entry #${n}`;
    if (token.trim() !== token || token === '' || !/^[\x21-\x7e]+$/.test(token)) {
      throw new StaticTokenFileError(`${where}: the token must be non-empty printable ASCII without spaces`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new StaticTokenFileError(`${where}: must be an object with project_id, user_id, roles`);
    }
    const v = value as Record<string, unknown>;
    for (const k of Object.keys(v)) {
      if (!ENTRY_KEYS.has(k)) throw new StaticTokenFileError(`${where}: unknown key ${JSON.stringify(k)}`);
    }
    const projectId = optionalId(v.project_id, `${where}: project_id`);
    const userId = optionalId(v.user_id, `${where}: user_id`);
    if (!Array.isArray(v.roles) || !v.roles.every((r) => typeof r === 'string' && r.trim() !== '')) {
      throw new StaticTokenFileError(`${where}: roles must be an array of non-empty strings`);
    }
    const roles = [...new Set((v.roles as string[]).map((r) => r.trim().toLowerCase()))];
    table.set(digest(token).toString('base64url'), { projectId, userId, roles });
  }
  return table;
}

function optionalId(v: unknown, where: string): string | null {
  if (v === undefined) throw new StaticTokenFileError(`${where} is required (use null for none)`);
  if (v === null) return null;
  if (typeof v !== 'string' || v.trim() === '') throw new StaticTokenFileError(`${where} must be a non-empty string or null`);
  return v;
}

export class StaticTokenAuthenticator implements Authenticator {
  readonly mode = 'static';

  #table: Map<string, StaticIdentity>;
  readonly #headers: Record<string, string>;

  /** Throws StaticTokenFileError when the file is missing or invalid. */
  constructor(
    readonly path: string,
    options: StaticTokenAuthenticatorOptions = {},
  ) {
    this.#table = loadTokenFile(path);
    const challenge = options.wwwAuthenticate === undefined ? 'Static' : options.wwwAuthenticate;
    this.#headers = challenge === null ? {} : { 'WWW-Authenticate': challenge };
  }

  get size(): number {
    return this.#table.size;
  }

  /**
   * Re-reads the file (SIGHUP). On success the new table replaces the old one atomically and the
   * number of tokens is returned; on failure the old table stays in force and the
   * StaticTokenFileError is thrown for the caller to log.
   */
  reload(): number {
    const table = loadTokenFile(this.path);
    this.#table = table;
    return table.size;
  }

  async authenticate(headers: IncomingHttpHeaders, requestId: string, signal: AbortSignal): Promise<RequestContext> {
    if (signal.aborted) throw new ClientAbortError();
    const token = first(headers['x-auth-token']);
    if (token === undefined) throw this.#unauthorized('missing_token');
    // Lookup by digest: the hash lookup's timing says nothing useful about the token itself.
    const identity = this.#table.get(digest(token).toString('base64url'));
    if (identity === undefined) throw this.#unauthorized('invalid_token');
    return makeContext({
      projectId: identity.projectId,
      userId: identity.userId,
      roles: [...identity.roles],
      requestId,
      authToken: token,
    });
  }

  #unauthorized(reason: string): UnauthorizedError {
    return new UnauthorizedError(UNAUTHORIZED_MESSAGE, { reason, headers: { ...this.#headers } });
  }
}
