/**
 * v1 error bodies (spec v1 §1.6). Real v1 let WebOb pick html/json/plain from Accept; we follow
 * the spec's recommendation instead: plain text unless Accept is exactly `application/json`.
 * Reasons: python-glanceclient v1 crashes on WebOb's JSON body, tempest accepts only json/plain/
 * html content types, and clients only read the status anyway; one plain form is the simplest
 * body that satisfies all of them. Pure: the caller sets status and headers.
 */
import { CoreError, MethodNotAllowedError, NotImplementedError, UnsupportedMediaTypeError } from '../../core/errors.js';
import { renderErrorBody, type ErrorForm, type ErrorTemplate, type RenderedError } from '../errors/webob.js';

export interface V1ErrorInput {
  status: number;
  message?: string;
  form: ErrorForm;
  /** Raw request Accept header. */
  accept: string | undefined;
  /** Request method: HEAD answers carry no body. */
  method?: string;
  title?: string;
  template?: ErrorTemplate;
  /** Raw request Content-Type (415 template). */
  contentType?: string;
}

/** Registry-level conflicts: Glance set this literal body, whatever the Accept header. */
export const V1_CONFLICT_BODY = 'Image operation conflicts';

function wantsJson(accept: string | undefined): boolean {
  return accept !== undefined && accept.trim().toLowerCase() === 'application/json';
}

export function renderV1Error(input: V1ErrorInput): RenderedError {
  // renderErrorBody negotiates like WebOb; handing it a fixed Accept pins the representation.
  return renderErrorBody({ ...input, accept: wantsJson(input.accept) ? 'application/json' : 'text/plain' });
}

/** The `409 Image operation conflicts` answer of a PUT that lost a race (§3.6). */
export function renderV1Conflict(method?: string): RenderedError {
  const head = (method ?? '').toUpperCase() === 'HEAD';
  return { contentType: 'text/plain; charset=UTF-8', body: head ? '' : V1_CONFLICT_BODY };
}

function templateOf(err: CoreError): ErrorTemplate {
  if (err instanceof MethodNotAllowedError) return '405';
  if (err instanceof UnsupportedMediaTypeError) return '415';
  if (err instanceof NotImplementedError) return '501';
  return 'default';
}

/** A thrown CoreError as the v1 body; the status and err.headers are the caller's to set. */
export function renderV1CoreError(
  err: CoreError,
  request: { accept: string | undefined; method?: string; contentType?: string },
): RenderedError {
  return renderV1Error({
    status: err.status,
    message: err.message,
    form: err.form,
    template: templateOf(err),
    ...request,
  });
}
