import { errors } from 'undici';
import {
  BadGatewayError,
  BadRequestError,
  ClientAbortError,
  ConflictError,
  CoreError,
  ForbiddenError,
  GatewayTimeoutError,
  GoneError,
  InternalError,
  LoopDetectedError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  RangeNotSatisfiableError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  type CoreErrorOptions,
  type MessageForm,
} from '../core/errors.js';

type ErrorClass = new (message: string, options?: CoreErrorOptions) => CoreError;

/** Upstream answers that keep their meaning (and, where useful, their message) through the gateway. */
const BY_STATUS: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [400, BadRequestError],
  [401, UnauthorizedError],
  [403, ForbiddenError],
  [404, NotFoundError],
  [405, MethodNotAllowedError],
  [409, ConflictError],
  [410, GoneError],
  [413, PayloadTooLargeError],
  [415, UnsupportedMediaTypeError],
  [416, RangeNotSatisfiableError],
  [503, ServiceUnavailableError],
  [504, GatewayTimeoutError],
  [508, LoopDetectedError],
]);

/**
 * The message of a Glance error body and how WebOb carried it: JSON `message` is
 * `<explanation><br /><br />\n<detail>`; a non-empty detail is the message in "detail form".
 */
export function upstreamError(text: string): { message: string; form: MessageForm } {
  const raw = upstreamMessage(text);
  const [explanation = '', ...rest] = raw.split(/<br \/><br \/>/);
  const detail = rest.join(' ').trim();
  return detail !== '' ? { message: detail, form: 'detail' } : { message: explanation.trim(), form: 'explanation' };
}

/**
 * Glance error bodies: JSON `{"message": ..., "code": ...}` or WebOb's `{"title", "description"}`,
 * or text/plain/HTML where the explanation follows the status line. Returns '' when nothing fits.
 */
export function upstreamMessage(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const body = JSON.parse(trimmed) as Record<string, unknown>;
      for (const k of ['message', 'description', 'title']) {
        if (typeof body[k] === 'string' && body[k] !== '') return (body[k] as string).trim();
      }
      const inner = Object.values(body)[0];
      if (typeof inner === 'object' && inner !== null && typeof (inner as { message?: unknown }).message === 'string') {
        return ((inner as { message: string }).message).trim();
      }
    } catch {
      return '';
    }
    return '';
  }
  // text/plain WebOb: "404 Not Found\n\n<explanation>\n\n   " and HTML: strip tags.
  const lines = trimmed.replace(/<[^>]*>/g, '\n').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.length > 1 ? lines.slice(1).join(' ').slice(0, 1000) : '';
}

/** An upstream error status as the core's typed error; other 5xx become 502. */
export function statusToCoreError(status: number, text: string, what: string): CoreError {
  const { message, form } = upstreamError(text);
  const cls = BY_STATUS.get(status);
  if (cls !== undefined) return new cls(message || `${what}: upstream answered ${status}`, { reason: `upstream_${status}`, form });
  if (status >= 500) return new BadGatewayError(`${what}: the upstream image service failed (${status}).`, { reason: 'upstream_error' });
  return new BadGatewayError(`${what}: unexpected upstream answer ${status}.`, { reason: 'upstream_unexpected' });
}

const REFUSED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Connection-level failures that are safe to retry for an idempotent request without a body. */
export function isRetryable(e: unknown): boolean {
  const code = errorCode(e);
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'ECONNREFUSED' || code === 'EPIPE';
}

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && typeof cur === 'object' && cur !== null; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A transport failure talking to the upstream as a core error: unreachable → 503, too slow → 504,
 * an unparsable or truncated answer → 502. The caller's own abort stays a ClientAbortError.
 */
export function transportToCoreError(e: unknown, signal: AbortSignal | undefined, what: string): Error {
  if (e instanceof CoreError || e instanceof ClientAbortError) return e;
  if (signal?.aborted === true) return new ClientAbortError();
  const code = errorCode(e);
  if (code !== undefined && TIMEOUTS.has(code)) {
    return new GatewayTimeoutError(`${what}: the upstream image service did not answer in time.`, { reason: 'upstream_timeout', cause: e });
  }
  if (code !== undefined && (REFUSED.has(code) || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED')) {
    if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') {
      return new BadGatewayError(`${what}: the upstream image service closed the connection.`, { reason: 'upstream_closed', cause: e });
    }
    return new ServiceUnavailableError(`${what}: the upstream image service is unreachable.`, { reason: 'upstream_unreachable', cause: e });
  }
  if (code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|^ERR_TLS|^ERR_SSL|^EPROTO$/.test(code)) {
    return new BadGatewayError(`${what}: the TLS handshake with the upstream image service failed (${code}).`, { reason: 'upstream_tls', cause: e });
  }
  if (code !== undefined && (code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_INFO')) {
    return new BadGatewayError(`${what}: the upstream image service sent an invalid reply.`, { reason: 'upstream_garbage', cause: e });
  }
  if (e instanceof errors.UndiciError || e instanceof errors.HTTPParserError) {
    // Any other protocol-level failure of the upstream conversation (parser errors included).
    return new BadGatewayError(`${what}: the upstream image service sent an invalid reply (${e.message}).`, { reason: 'upstream_garbage', cause: e });
  }
  if (e instanceof SyntaxError) {
    return new BadGatewayError(`${what}: the upstream image service sent an unparsable reply.`, { reason: 'upstream_garbage', cause: e });
  }
  return new InternalError(`${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}
