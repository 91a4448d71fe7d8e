import type { Context } from 'hono';
import type { Limits } from '../config/config.js';
import { BadRequestError } from '../core/errors.js';
import { parseJsonBody, readBodyText } from './json-body.js';
import { requestHasBody } from './resource.js';
import type { GatewayEnv } from './types.js';

/** A JSON answer: `application/json` without charset, as Glance sends it. */
export function json(c: Context<GatewayEnv>, status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return jsonText(c, status, JSON.stringify(body), headers);
}

/** A JSON answer whose text is already serialised. */
export function jsonText(c: Context<GatewayEnv>, status: number, text: string, headers: Record<string, string> = {}): Response {
  return new Response(text, {
    status,
    headers: { 'Content-Type': 'application/json', 'x-openstack-request-id': c.get('requestId'), ...headers },
  });
}

/** An empty answer (204/202) with the request id. */
export function empty(c: Context<GatewayEnv>, status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers: { 'x-openstack-request-id': c.get('requestId'), ...headers } });
}

/**
 * Reads and parses a JSON request body from the raw Node request, within the configured
 * size and depth limits. A missing body is 400 `Body expected in request.`.
 */
export async function readJson(c: Context<GatewayEnv>, limits: Limits): Promise<unknown> {
  const req = c.env.incoming;
  if (!requestHasBody(req)) throw new BadRequestError('Body expected in request.');
  const text = await readBodyText(req, limits.maxJsonBodyBytes, c.req.raw.signal);
  if (text.length === 0) throw new BadRequestError('Body expected in request.');
  return parseJsonBody(text, { maxDepth: limits.maxJsonDepth });
}

/** First value of a header that Node may have joined or listed. */
export function header(c: Context<GatewayEnv>, name: string): string | undefined {
  const v = c.env.incoming.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A path parameter; routes only run when it matched, so absence is a routing bug. */
export function param(c: Context<GatewayEnv>, name: string): string {
  const v = c.req.param(name) as string | undefined;
  if (v === undefined) throw new Error(`route parameter ${name} missing`);
  return v;
}
