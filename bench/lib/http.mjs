/**
 * The bench's HTTP client for big bodies (node:http, no extra buffering): stream a body up,
 * read a body down as fast as possible and discard it, and small JSON calls for setup.
 * Timings are wall-clock from just before the request is sent to the last response byte.
 */
import http from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';

/** Read size for the upload source file: big reads keep the client's CPU share small. */
const FILE_CHUNK = 1024 * 1024;

function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false });
    req.once('error', reject);
    req.once('response', (res) => resolve({ req, res }));
    if (body === undefined) req.end();
    else if (typeof body === 'string' || body instanceof Uint8Array) req.end(body);
    else pipeline(body, req).catch(reject);
  });
}

async function drain(res) {
  let bytes = 0;
  for await (const chunk of res) bytes += chunk.length;
  return bytes;
}

/** A JSON request; resolves with { status, body (parsed or text), headers }. */
export async function json(url, method = 'GET', payload) {
  const body = payload === undefined ? undefined : JSON.stringify(payload);
  const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  const { res } = await request(url, { method, headers, body });
  const chunks = [];
  for await (const c of res) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  let parsed = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.statusCode, body: parsed, text, headers: res.headers };
}

/** Expects one of `ok` statuses, else throws with the body. */
export async function jsonOk(url, method, payload, ok = [200, 201, 204]) {
  const r = await json(url, method, payload);
  if (!ok.includes(r.status)) throw new Error(`${method} ${url} -> ${r.status}: ${r.text.slice(0, 500)}`);
  return r;
}

/**
 * PUTs `source` (a file path, or { stream, size }) as application/octet-stream with a
 * Content-Length. Resolves with { ms, status, headers, bytes }.
 */
export async function putBody(url, source) {
  const { stream, size } =
    typeof source === 'string' ? { stream: createReadStream(source, { highWaterMark: FILE_CHUNK }), size: statSync(source).size } : source;
  const started = process.hrtime.bigint();
  const { res } = await request(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: stream,
  });
  const text = (await collect(res)).toString('utf8');
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (res.statusCode >= 300) throw new Error(`PUT ${url} -> ${res.statusCode}: ${text.slice(0, 500)}`);
  return { ms, status: res.statusCode, headers: res.headers, bytes: size };
}

/** GETs url and discards the body. Resolves with { ms, bytes, status, headers }. */
export async function getDiscard(url) {
  const started = process.hrtime.bigint();
  const { res } = await request(url);
  const bytes = await drain(res);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (res.statusCode !== 200) throw new Error(`GET ${url} -> ${res.statusCode}`);
  const expected = Number(res.headers['content-length']);
  if (Number.isFinite(expected) && expected !== bytes) throw new Error(`GET ${url}: ${bytes} of ${expected} bytes`);
  return { ms, bytes, status: res.statusCode, headers: res.headers };
}

async function collect(res) {
  const chunks = [];
  for await (const c of res) chunks.push(c);
  return Buffer.concat(chunks);
}
