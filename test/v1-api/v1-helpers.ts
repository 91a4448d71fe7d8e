/**
 * Helpers for the v1 HTTP tests: a real listening gateway (test/support/api-gateway.ts) plus
 * v1-shaped request helpers and a parser for the `x-image-meta-*` response headers.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { ADMIN, type Api, type ApiResponse, type Body } from '../support/api-gateway.js';

export { ADMIN, as, startApi, sleep, upstreamMode, type Api, type ApiResponse } from '../support/api-gateway.js';

export const OCTET = { 'Content-Type': 'application/octet-stream' };
/** v1 date format: microseconds, no zone (spec v1 §1.4). */
export const V1_TIME_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;
export const V1_KEYS = [
  'checksum', 'container_format', 'created_at', 'deleted', 'deleted_at', 'disk_format', 'id', 'is_public', 'min_disk',
  'min_ram', 'name', 'owner', 'properties', 'protected', 'size', 'status', 'updated_at', 'virtual_size',
].sort();
export const INDEX_KEYS = ['checksum', 'container_format', 'disk_format', 'id', 'name', 'size'].sort();

export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** Bytes sent without a length: undici uses Transfer-Encoding: chunked. */
export async function* chunked(data: Buffer, pieces = 3): AsyncGenerator<Buffer> {
  const step = Math.max(1, Math.ceil(data.length / pieces));
  for (let i = 0; i < data.length; i += step) yield data.subarray(i, i + step);
}

/** Image metadata headers: name, formats and properties as `x-image-meta-*`. */
export function meta(fields: Record<string, string | number | boolean>, properties: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) out[`x-image-meta-${k}`] = typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
  for (const [k, v] of Object.entries(properties)) out[`x-image-meta-property-${k}`] = v;
  return out;
}

export const RAW = { disk_format: 'raw', container_format: 'bare' } as const;

/** POST /v1/images with headers (and optional data), no assertion. */
export function postV1(api: Api, headers: Record<string, string>, body?: Body): Promise<ApiResponse> {
  const h = body === undefined ? { 'Content-Length': '0', ...headers } : { ...OCTET, ...headers };
  return api.call('POST', '/v1/images', { headers: h, ...(body !== undefined ? { body } : {}) });
}

/** POST /v1/images expecting 201; returns the `image` object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function createV1(api: Api, headers: Record<string, string>, body?: Body): Promise<any> {
  const r = await postV1(api, headers, body);
  expect(r.status, r.text).toBe(201);
  return r.json().image;
}

/** PUT /v1/images/{id} with headers and optional data, no assertion. */
export function putV1(api: Api, id: string, headers: Record<string, string>, body?: Body): Promise<ApiResponse> {
  const h = body === undefined ? headers : { ...OCTET, ...headers };
  return api.call('PUT', `/v1/images/${id}`, { headers: h, ...(body !== undefined ? { body } : {}) });
}

export function headV1(api: Api, id: string, headers: Record<string, string> = ADMIN): Promise<ApiResponse> {
  return api.call('HEAD', `/v1/images/${id}`, { headers });
}

export interface HeadMeta {
  fields: Record<string, string>;
  properties: Record<string, string>;
}

/** The `x-image-meta-*` headers of a response, as glanceclient reads them. */
export function metaOf(r: ApiResponse): HeadMeta {
  const fields: Record<string, string> = {};
  const properties: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.headers)) {
    const v = Array.isArray(value) ? value.join(',') : (value ?? '');
    if (name.startsWith('x-image-meta-property-')) properties[name.slice('x-image-meta-property-'.length)] = v;
    else if (name.startsWith('x-image-meta-')) fields[name.slice('x-image-meta-'.length)] = v;
  }
  return { fields, properties };
}

/** HEAD expecting 200; returns the parsed metadata. */
export async function headMeta(api: Api, id: string, headers: Record<string, string> = ADMIN): Promise<HeadMeta> {
  const r = await headV1(api, id, headers);
  expect(r.status).toBe(200);
  return metaOf(r);
}

/** Polls HEAD until the status is one of `final`; returns the last metadata. */
export async function waitForV1Status(api: Api, id: string, final: string[], timeoutMs = 15_000): Promise<HeadMeta> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await headMeta(api, id);
    if (final.includes(m.fields.status ?? '') || Date.now() > deadline) return m;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** GET /v1/images/detail with a query; expects 200 and returns the items. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function detail(api: Api, query: string, headers: Record<string, string> = ADMIN): Promise<any[]> {
  const r = await api.call('GET', `/v1/images/detail?${query}`, { headers });
  expect(r.status, r.text).toBe(200);
  return r.json().images;
}

export function uniq(prefix = 't'): string {
  return `${prefix}${Math.random().toString(36).slice(2, 10)}`;
}

/** A local HTTP server serving fixed bytes, recording every request it sees. */
export interface Fixture {
  url: string;
  port: number;
  requests: Array<{ method: string; url: string }>;
  close(): Promise<void>;
}

export async function startFixture(files: Record<string, Buffer>): Promise<Fixture> {
  const requests: Fixture['requests'] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    const data = files[(req.url ?? '').split('?')[0]!];
    if (data === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) });
    res.end(req.method === 'HEAD' ? undefined : data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
