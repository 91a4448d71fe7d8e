/**
 * In-process gateway for the HTTP API tests (test/api): the real Hono app on a real socket, a temp
 * data dir, noauth, a silent logger, and a small undici client. Each test file starts its own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { expect } from 'vitest';
import { DEFAULT_CONFIG, type Config, type Limits } from '../../src/config/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';

/** Limits every API test gateway runs with (small, so the 413 paths are cheap). */
export const API_LIMITS = {
  imageSizeCap: 64 * 1024,
  maxJsonBodyBytes: 64 * 1024,
  maxJsonDepth: 16,
} as const satisfies Partial<Limits>;

export const silentLogger = pino({ level: 'silent' });

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  /** The single value of a header (lower-case name), or undefined. */
  header(name: string): string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}

export type Body = string | Buffer | object | AsyncIterable<Buffer>;

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Objects (not Buffers / iterables) are sent as JSON text. */
  body?: Body;
}

export interface Api {
  url: string;
  port: number;
  config: Config;
  gateway: Gateway;
  call(method: string, path: string, opts?: RequestOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

function isIterable(b: unknown): b is AsyncIterable<Buffer> {
  return typeof b === 'object' && b !== null && Symbol.asyncIterator in b;
}

export async function startApi(overrides: Partial<Config> = {}, limits: Partial<Limits> = {}): Promise<Api> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gg-api-'));
  const config: Config = {
    ...DEFAULT_CONFIG,
    auth: { ...DEFAULT_CONFIG.auth },
    port: 0,
    dataDir,
    logLevel: 'silent',
    hashWorkers: 2,
    ...overrides,
    limits: { ...DEFAULT_CONFIG.limits, ...API_LIMITS, ...limits },
  };
  const gateway = await startGateway(config, silentLogger);
  const url = `http://127.0.0.1:${gateway.port}`;
  const agent = new Agent({ keepAliveTimeout: 1000, pipelining: 0 });

  const call = async (method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    let body: string | Buffer | Readable | undefined;
    if (opts.body === undefined) body = undefined;
    else if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) body = opts.body;
    // No length is known for an iterable: undici sends it chunked.
    else if (isIterable(opts.body)) body = Readable.from(opts.body);
    else body = JSON.stringify(opts.body);
    const res = await request(`${url}${path}`, {
      method: method as 'GET',
      headers,
      ...(body !== undefined ? { body } : {}),
      dispatcher: agent,
    });
    const buf = Buffer.from(await res.body.arrayBuffer());
    const text = buf.toString('utf8');
    return {
      status: res.statusCode,
      headers: res.headers,
      body: buf,
      text,
      header(name: string) {
        const v = res.headers[name.toLowerCase()];
        return Array.isArray(v) ? v[0] : v;
      },
      json() {
        try {
          return JSON.parse(text);
        } catch {
          throw new Error(`not JSON (${res.statusCode}): ${text.slice(0, 300)}`);
        }
      },
    };
  };

  return {
    url,
    port: gateway.port,
    config,
    gateway,
    call,
    async close() {
      await agent.close().catch(() => undefined);
      await gateway.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * False here; true when a suite runs through test/upstream/upstream-api.ts (the gateway under test
 * in upstream mode), where the documented v2 deviations apply (README, upstream mode).
 */
export const upstreamMode: boolean = false;

/** noauth identity headers of a caller in `project` (non-admin `member` unless told). */
export function as(project: string, roles = 'member'): Record<string, string> {
  return { 'X-Project-Id': project, 'X-Roles': roles };
}
/** Requests without context headers run as admin in project `admin`. */
export const ADMIN: Record<string, string> = {};

export const V21 = 'application/openstack-images-v2.1-json-patch';
export const V20 = 'application/openstack-images-v2.0-json-patch';
export const OCTET = { 'Content-Type': 'application/octet-stream' };
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const REQ_ID_RE = /^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const V2_TIME_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** The plain-text WebOb body of an explanation-form error (spec v2 §1.6). */
export function plainError(status: string, message: string): string {
  return `${status}\n\n${message}\n\n   `;
}
/** The plain-text WebOb body of a detail-form error. */
export function plainDetailError(status: string, defaultExplanation: string, detail: string): string {
  return `${status}\n\n${defaultExplanation}\n\n ${detail}  `;
}

/** POST /v2/images and assert 201; returns the image JSON. */
export async function createImage(api: Api, body: object = {}, headers: Record<string, string> = ADMIN) {
  const r = await api.call('POST', '/v2/images', { headers, body });
  expect(r.status, r.text).toBe(201);
  return r.json();
}

/** PUT /file with octet-stream and assert 204. */
export async function uploadImage(api: Api, id: string, data: Buffer | string, headers: Record<string, string> = ADMIN) {
  const r = await api.call('PUT', `/v2/images/${id}/file`, { headers: { ...headers, ...OCTET }, body: Buffer.from(data) });
  expect(r.status, r.text).toBe(204);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls GET /v2/images/{id} until `done` holds or the deadline passes; returns the last image. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function waitForImage(api: Api, id: string, done: (img: any) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await api.call('GET', `/v2/images/${id}`);
    expect(r.status, r.text).toBe(200);
    const img = r.json();
    if (done(img) || Date.now() > deadline) return img;
    await sleep(50);
  }
}
