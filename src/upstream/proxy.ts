import type { OutgoingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import type { Logger } from 'pino';
import { requestHasBody } from '../http/resource.js';
import type { GatewayEnv } from '../http/types.js';
import { baseUrlFrom } from '../http/versions.js';
import { callerHeaders, type UpstreamClient, type UpstreamMethod } from './client.js';
import type { MetadataCache } from './metadata-cache.js';

/** RFC 9110 §7.6.1 hop-by-hop fields, never forwarded in either direction. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host',
  // Node already answered `100 Continue` to the client; undici cannot send it upstream.
  'expect',
]);

/**
 * Identity headers a client could forge: dropped, then set again from the context this gateway
 * validated, so a noauth upstream trusts only what the gateway vouches for.
 */
const IDENTITY = /^x-(auth-token|identity-status|project-|tenant|user-|user$|roles|domain-|service-|is-admin-project|openstack-request-id)/;

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const IMAGE_PATH = /^\/v2\/images\/([^/?]+)/;

export interface V2ProxyDeps {
  client: UpstreamClient;
  cache: MetadataCache;
  logger: Logger;
  publicEndpoint: string | null;
}

/** True when a request already went through this very gateway instance. */
export function hasLooped(via: string | string[] | undefined, client: UpstreamClient): boolean {
  const values = Array.isArray(via) ? via : via === undefined ? [] : [via];
  const mine = client.viaValue.slice(4); // without the protocol version
  return values.some((v) => v.split(',').some((hop) => hop.trim().split(/\s+/)[1] === mine));
}

/**
 * The v2 dialect in upstream mode: a streaming passthrough, so every upstream v2 feature
 * (metadefs, cache, tasks, ...) keeps working. Bodies stream both ways with backpressure; writes
 * on an image invalidate its cached metadata before and after they pass. Loops are refused
 * before this (hasLooped, in the app), for every path.
 */
export function makeV2Proxy(deps: V2ProxyDeps): (c: Context<GatewayEnv>, path: string, negotiated: boolean) => Promise<Response> {
  const { client, cache, logger } = deps;
  const upstreamBase = client.origin + client.basePath;
  return async (c, path, negotiated) => {
    const req = c.env.incoming;
    const method = (req.method ?? 'GET') as UpstreamMethod;
    const query = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?')) : '';
    const connectionListed = new Set(
      String(req.headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean),
    );
    const headers: Record<string, string> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!.toLowerCase();
      if (HOP_BY_HOP.has(name) || connectionListed.has(name) || IDENTITY.test(name) || name === 'via') continue;
      headers[name] = headers[name] === undefined ? req.rawHeaders[i + 1]! : `${headers[name]}, ${req.rawHeaders[i + 1]!}`;
    }
    Object.assign(headers, callerHeaders(c.get('ctx')));
    // The versioned media type already chose /v2 here; upstream it would prefix /v2 once more.
    if (negotiated) headers.accept = 'application/json';
    const inboundVia = req.headers.via;
    headers.via = inboundVia === undefined ? client.viaValue : `${String(inboundVia)}, ${client.viaValue}`;
    const imageId = WRITES.has(method) ? safeDecode(IMAGE_PATH.exec(path)?.[1]) : undefined;
    if (imageId !== undefined) cache.invalidate(imageId);
    const hasBody = requestHasBody(req);
    const signal = c.req.raw.signal;
    const res = await client.send(
      { method, path: path + query, headers, body: hasBody ? req : null, signal },
      `${method} ${path}`,
    ).finally(() => {
      if (imageId !== undefined) cache.invalidate(imageId);
    });
    const upstreamId = res.headers['x-openstack-request-id'];
    if (typeof upstreamId === 'string') c.set('upstreamRequestId', upstreamId);

    const out: OutgoingHttpHeaders = {};
    const listed = new Set(String(res.headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim()));
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || name === 'via') continue;
      out[name] = value;
    }
    // The client sees this gateway's id (what it sent, if it sent one); the log line has both.
    if (out['x-openstack-request-id'] !== undefined) out['x-openstack-request-id'] = c.get('requestId');
    out.via = res.headers.via === undefined ? client.viaValue : `${String(res.headers.via)}, ${client.viaValue}`;
    const location = res.headers.location;
    if (typeof location === 'string' && location.startsWith(upstreamBase)) {
      out.location = baseUrlFrom(req.headers, deps.publicEndpoint ?? undefined) + location.slice(upstreamBase.length);
    }
    const outgoing = c.env.outgoing;
    outgoing.writeHead(res.status, out);
    if (method === 'HEAD') {
      await res.body.dump().catch(() => undefined);
      outgoing.end();
      return RESPONSE_ALREADY_SENT;
    }
    await pipeline(res.body, outgoing).catch((err: unknown) => {
      // Headers are out: all that is left is to cut the connection so the client sees a short body.
      logger.warn({ err: (err as Error).message, request_id: c.get('requestId') }, 'proxied response interrupted');
      res.body.destroy();
      outgoing.destroy();
    });
    return RESPONSE_ALREADY_SENT;
  };
}

function safeDecode(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
