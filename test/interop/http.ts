/**
 * Raw HTTP helpers (node:http, so tests control framing, streaming and socket aborts),
 * noauth identity headers, random data fixtures and a data-dir walker.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}

export type Body = Buffer | string | Readable | object | undefined;

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Body;
  timeoutMs?: number;
}

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

/** Identity headers understood by the gateway's noauth mode. */
export function as(project: string, roles = 'member', user = `user-${project}`): Record<string, string> {
  return { 'X-Project-Id': project, 'X-User-Id': user, 'X-Roles': roles };
}
export const ADMIN = as('admin', 'admin', 'admin-user');

export function request(base: string, method: string, p: string, opts: RequestOptions = {}): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  let payload: Buffer | Readable | undefined;
  if (opts.body instanceof Readable) payload = opts.body;
  else if (Buffer.isBuffer(opts.body)) payload = opts.body;
  else if (typeof opts.body === 'string') payload = Buffer.from(opts.body);
  else if (opts.body !== undefined) {
    payload = Buffer.from(JSON.stringify(opts.body));
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  }
  if (Buffer.isBuffer(payload)) headers['Content-Length'] = String(payload.length);
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(p, base), { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          text,
          json: () => JSON.parse(text),
        });
      });
    });
    req.setTimeout(opts.timeoutMs ?? 120_000, () => req.destroy(new Error(`${method} ${p} timed out`)));
    req.on('error', reject);
    if (payload instanceof Readable) payload.pipe(req);
    else req.end(payload);
  });
}

export function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}
export function sha512(b: Buffer): string {
  return createHash('sha512').update(b).digest('hex');
}

/** Writes `size` random bytes to `file`; resolves with its md5 and sha512. */
export async function randomFile(file: string, size: number): Promise<{ md5: string; sha512: string }> {
  const m = createHash('md5');
  const s = createHash('sha512');
  let left = size;
  const src = Readable.from(
    (function* () {
      while (left > 0) {
        const n = Math.min(left, 1 << 20);
        left -= n;
        const chunk = randomBytes(n);
        m.update(chunk);
        s.update(chunk);
        yield chunk;
      }
    })(),
  );
  await pipeline(src, createWriteStream(file));
  return { md5: m.digest('hex'), sha512: s.digest('hex') };
}

/**
 * An upload whose pace the test controls: declares `total` bytes (Content-Length), sends random
 * chunks on demand, and can be finished or torn down (socket destroyed) mid-way.
 */
export class ControlledUpload {
  sent = 0;
  readonly response: Promise<HttpResponse | Error>;
  private readonly req: http.ClientRequest;
  private readonly hash = createHash('md5');

  constructor(base: string, id: string, readonly total: number, headers: Record<string, string> = {}) {
    this.req = http.request(new URL(`/v2/images/${id}/file`, base), {
      method: 'PUT',
      agent,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(total), ...headers },
    });
    this.response = new Promise<HttpResponse | Error>((resolve) => {
      this.req.on('error', (e) => resolve(e));
      this.req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => resolve(e));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) });
        });
      });
    });
  }

  /** Sends random bytes until `upTo` bytes have gone out (honouring backpressure). */
  async sendUntil(upTo: number): Promise<void> {
    while (this.sent < Math.min(upTo, this.total)) {
      const chunk = randomBytes(Math.min(1 << 20, Math.min(upTo, this.total) - this.sent));
      this.hash.update(chunk);
      this.sent += chunk.length;
      if (!this.req.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = () => {
            this.req.off('error', onErr);
            resolve();
          };
          const onErr = (e: Error) => {
            this.req.off('drain', onDrain);
            reject(e);
          };
          this.req.once('drain', onDrain);
          this.req.once('error', onErr);
        });
      }
    }
  }

  /** Sends the rest and ends the request; resolves with the md5 of everything sent. */
  async finish(): Promise<string> {
    await this.sendUntil(this.total);
    this.req.end();
    return this.hash.digest('hex');
  }

  /** Tears the connection down mid-body, as a crashed client would. */
  destroy(): void {
    this.req.destroy();
  }
}

export interface DataDirListing {
  /** Every regular file, relative to the data dir. */
  files: string[];
  /** Files whose path has a temp-looking component (.tmp dir, *.tmp, *.part, tmp-*). */
  temp: string[];
  /** Committed blobs: files under images/ (store) or staging/ named by an image uuid. */
  blobs: { rel: string; area: string; id: string; size: number }[];
  /** Files under images/ or staging/ that are neither blobs nor temp files (unknown layout). */
  other: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function walkDataDir(dataDir: string): DataDirListing {
  const files: string[] = [];
  const visit = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else files.push(path.relative(dataDir, p));
    }
  };
  visit(dataDir);
  const temp = files.filter((f) =>
    f.split(path.sep).some((c) => c === '.tmp' || c === 'tmp' || /\.(tmp|part)$/.test(c) || /^tmp[-_.]/.test(c)),
  );
  const blobs = files
    .filter((f) => ['images', 'staging'].includes(f.split(path.sep)[0] ?? '') && !temp.includes(f))
    .filter((f) => UUID.test(path.basename(f)))
    .map((rel) => ({
      rel,
      area: rel.split(path.sep)[0] ?? '',
      id: path.basename(rel),
      size: statSync(path.join(dataDir, rel)).size,
    }));
  const other = files.filter(
    (f) => ['images', 'staging'].includes(f.split(path.sep)[0] ?? '') && !temp.includes(f) && !blobs.some((b) => b.rel === f),
  );
  return { files, temp, blobs, other };
}

/** Polls `fn` until it returns a truthy value or the deadline passes (then returns the last value). */
export async function waitFor<T>(fn: () => Promise<T>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await fn();
  while (!last && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, everyMs));
    last = await fn();
  }
  return last;
}
