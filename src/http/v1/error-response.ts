import type { Context } from 'hono';
import type { Logger } from 'pino';
import { BadRequestError, ClientAbortError, CoreError, InternalError } from '../../core/errors.js';
import type { GatewayEnv } from '../types.js';
import { renderV1CoreError } from './errors.js';

/**
 * v2 wording → v1 status where v1 answered differently for the same condition (spec v1 §3.2).
 * Everything else keeps its status: clients read only the code.
 */
function toV1(err: CoreError): CoreError {
  switch (err.reason) {
    case 'marker_not_found':
    case 'marker_not_visible':
      return new BadRequestError('Invalid marker. Image could not be found.');
    default:
      return err;
  }
}

/** The one place where v1 turns a thrown error into a response (spec v1 §1.6). */
export function v1ErrorResponse(err: unknown, c: Context<GatewayEnv>, logger: Logger): Response {
  const req = c.env.incoming;
  if (err instanceof ClientAbortError) return new Response(null, { status: 400 });
  let core: CoreError;
  if (err instanceof CoreError) core = toV1(err);
  else {
    logger.error({ err, request_id: c.get('requestId') }, 'unhandled error');
    core = new InternalError('The server has either erred or is incapable of performing the requested operation.');
  }
  const rendered = renderV1CoreError(core, {
    accept: req.headers.accept,
    method: req.method ?? 'GET',
    contentType: req.headers['content-type'],
  });
  const headers = new Headers(core.headers);
  headers.set('Content-Type', rendered.contentType);
  headers.set('x-openstack-request-id', c.get('requestId'));
  if (!req.readableEnded && core.status === 413) headers.set('Connection', 'close');
  return new Response(req.method === 'HEAD' ? null : rendered.body, { status: core.status, headers });
}
