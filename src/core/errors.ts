/**
 * Typed errors thrown by the core (and by request parsing). Each dialect maps them to a
 * response in exactly one place (src/http/v2/error-response.ts, and the v1 equivalent).
 *
 * `form` mirrors how Glance hands the message to WebOb: as the explanation (most errors) or as
 * the detail beneath the class default explanation ("detail form"). Clients only rely on the
 * status, but keeping the form lets the renderers match Glance's bodies.
 */
export type MessageForm = 'explanation' | 'detail';

export interface CoreErrorOptions {
  form?: MessageForm;
  /** A stable machine-readable reason, so a dialect can reword a message (v1 differs from v2). */
  reason?: string;
  headers?: Record<string, string>;
  cause?: unknown;
}

export abstract class CoreError extends Error {
  abstract readonly status: number;
  readonly form: MessageForm;
  readonly reason: string | undefined;
  readonly headers: Record<string, string>;

  constructor(message: string, options: CoreErrorOptions = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.form = options.form ?? 'explanation';
    this.reason = options.reason;
    this.headers = options.headers ?? {};
  }
}

export class BadRequestError extends CoreError {
  readonly status = 400;
}
export class UnauthorizedError extends CoreError {
  readonly status = 401;
}
export class ForbiddenError extends CoreError {
  readonly status = 403;
}
export class NotFoundError extends CoreError {
  readonly status = 404;
}
export class MethodNotAllowedError extends CoreError {
  readonly status = 405;
}
export class ConflictError extends CoreError {
  readonly status = 409;
}
export class GoneError extends CoreError {
  readonly status = 410;
}
export class PayloadTooLargeError extends CoreError {
  readonly status = 413;
}
export class UriTooLongError extends CoreError {
  readonly status = 414;
}
export class UnsupportedMediaTypeError extends CoreError {
  readonly status = 415;
}
export class NotImplementedError extends CoreError {
  readonly status = 501;
}
export class RangeNotSatisfiableError extends CoreError {
  readonly status = 416;
}
export class RequestHeaderTooLargeError extends CoreError {
  readonly status = 431;
}
export class ServiceUnavailableError extends CoreError {
  readonly status = 503;
}
export class InternalError extends CoreError {
  readonly status = 500;
}
export class BadGatewayError extends CoreError {
  readonly status = 502;
}
export class GatewayTimeoutError extends CoreError {
  readonly status = 504;
}
export class LoopDetectedError extends CoreError {
  readonly status = 508;
}

/** The request was aborted by the client; nothing should be rendered. */
export class ClientAbortError extends Error {
  constructor(message = 'client disconnected') {
    super(message);
    this.name = 'ClientAbortError';
  }
}

export function isCoreError(e: unknown): e is CoreError {
  return e instanceof CoreError;
}
