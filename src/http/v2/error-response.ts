import type { Context } from 'hono';
import type { Logger } from 'pino';
import {
  ClientAbortError,
  CoreError,
  MethodNotAllowedError,
  NotImplementedError,
  UnsupportedMediaTypeError,
} from '../../core/errors.js';
import { renderErrorBody } from '../errors/webob.js';
import type { GatewayEnv } from '../types.js';

/**
 * The one place where v2 turns a thrown error into a response, in Glance's WebOb format
 * chosen by the Accept header. Anything that is not a CoreError is a bug: logged, and
 * answered with a generic 500 that reveals nothing.
 */
export function v2ErrorResponse(err: unknown, c: Context<GatewayEnv>, logger: Logger): Response {
  const req = c.env.incoming;
  let status = 500;
  let message = 'The server has either erred or is incapable of performing the requested operation.';
  let form: 'explanation' | 'detail' = 'explanation';
  let headers: Record<string, string> = {};
  if (err instanceof CoreError) {
    status = err.status;
    message = err.message;
    form = err.form;
    headers = err.headers;
  } else if (err instanceof ClientAbortError) {
    // The client is gone; whatever we answer is never read.
    return new Response(null, { status: 400 });
  } else {
    logger.error({ err, request_id: c.get('requestId') }, 'unhandled error');
  }
  const template =
    err instanceof MethodNotAllowedError
      ? '405'
      : err instanceof UnsupportedMediaTypeError
        ? '415'
        : err instanceof NotImplementedError
          ? '501'
          : 'default';
  const accept = req.headers.accept;
  const rendered = renderErrorBody({
    status,
    message,
    form,
    accept,
    method: req.method ?? 'GET',
    template,
    contentType: req.headers['content-type'],
  });
  const out = new Headers(headers);
  out.set('Content-Type', rendered.contentType);
  if (status !== 401) out.set('x-openstack-request-id', c.get('requestId'));
  // An unread request body (a refused upload) is not worth draining: close after answering.
  if (!req.readableEnded && status === 413) out.set('Connection', 'close');
  return new Response(req.method === 'HEAD' ? null : rendered.body, { status, headers: out });
}
