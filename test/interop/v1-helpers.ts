/**
 * Helpers for the image API v1 interop suites (v1-*.test.ts): the Debian clients pointed at
 * v1, a local fixture HTTP server (copy-from source / SSRF canary) and raw v1 metadata reads.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OPENSTACK, runClient, sleep, type RunResult } from './gateway.js';
import { TOKEN, glance, underTty, type ClientOptions } from './clients.js';
import { ADMIN, request } from './http.js';

/** glanceclient 4.1 CLI, image API v1. `tty` for image-create/-update (stdin is read as data otherwise). */
export function glance1(url: string, args: string[], opts: ClientOptions = {}): Promise<RunResult> {
  return glance(url, ['--os-image-api-version', '1', ...args], opts);
}

/**
 * openstackclient 6.0, image API v1 (the only form that reaches v1, spec clients.md).
 * `tty` for `image create/set` without --file (stdin is read as data otherwise).
 */
export function openstack1(url: string, args: string[], opts: ClientOptions = {}): Promise<RunResult> {
  const argv = [
    '--os-image-api-version', '1', '--os-auth-type', 'admin_token', '--os-token', opts.token ?? TOKEN, '--os-endpoint', `${url}/v1`, ...args,
  ];
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return opts.tty ? underTty(OPENSTACK, argv, timeoutMs) : runClient(OPENSTACK, argv, { timeoutMs });
}

/** `Property 'k'` rows of a glanceclient v1 Property/Value table. */
export function v1Props(d: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d)) {
    const m = /^Property '(.*)'$/.exec(k);
    if (m) out[m[1]!] = v;
  }
  return out;
}

export interface V1Meta {
  status: number;
  /** x-image-meta-<field> headers (not properties), by field. */
  fields: Record<string, string>;
  /** x-image-meta-property-* headers. */
  props: Record<string, string>;
  etag: string | undefined;
}

/** HEAD /v1/images/{id} as the given identity; the metadata headers split into fields and properties. */
export async function v1Head(url: string, id: string, headers: Record<string, string> = ADMIN): Promise<V1Meta> {
  const r = await request(url, 'HEAD', `/v1/images/${id}`, { headers });
  const fields: Record<string, string> = {};
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) {
    const value = Array.isArray(v) ? v.join(', ') : (v ?? '');
    if (k.startsWith('x-image-meta-property-')) props[k.slice('x-image-meta-property-'.length)] = value;
    else if (k.startsWith('x-image-meta-')) fields[k.slice('x-image-meta-'.length)] = value;
  }
  const etag = r.headers.etag;
  return { status: r.status, fields, props, etag: typeof etag === 'string' ? etag : undefined };
}

export interface UsageEntry {
  client: string;
  version: string | null;
  route: string;
  project: string | null;
  count: number;
}

/** GET /v1-usage (admin). */
export async function v1Usage(url: string, headers: Record<string, string> = ADMIN): Promise<UsageEntry[]> {
  const r = await request(url, 'GET', '/v1-usage', { headers });
  if (r.status !== 200) throw new Error(`/v1-usage answered ${r.status}: ${r.text}`);
  return r.json().usage as UsageEntry[];
}

export interface FixtureRequest {
  method: string;
  url: string;
  remote: string;
}

export interface Fixture {
  port: number;
  data: Buffer;
  md5: string;
  /** Every request the fixture received, in order. */
  requests: FixtureRequest[];
  close(): Promise<void>;
}

/**
 * A local HTTP server: GET/HEAD `/file` serves `data` (with Content-Length); anything else 404.
 * `host` `::` listens dual-stack, so both 127.0.0.1 and [::1] reach it.
 */
export function startFixture(data: Buffer, host = '127.0.0.1'): Promise<Fixture> {
  const requests: FixtureRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', remote: req.socket.remoteAddress ?? '' });
    req.resume();
    if (req.url === '/file' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) });
      res.end(req.method === 'GET' ? data : undefined);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not here\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, host, () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        data,
        md5: createHash('md5').update(data).digest('hex'),
        requests,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Polls `fn` until it returns a value that is not undefined, or throws after `timeoutMs`. */
export async function pollUntil<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** v1 timestamps: `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC, no zone suffix (spec v1 §1.4). */
export const V1_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;
