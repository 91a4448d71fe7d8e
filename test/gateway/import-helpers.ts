/** Helpers for the interoperable-import tests: JSON calls, waiting for an import to settle, hashes. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export type Json = Record<string, unknown>;

export const ADMIN = { 'X-Project-Id': 'admin-proj', 'X-Roles': 'admin' };
export const OWNER = { 'X-Project-Id': 'p1', 'X-Roles': 'member' };

export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json; text: string }> {
  const init: RequestInit = { method, headers: { Accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.body = Buffer.isBuffer(body) ? body : JSON.stringify(body);
    if (Buffer.isBuffer(body)) (init.headers as Record<string, string>)['Content-Type'] = 'application/octet-stream';
  }
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  let json: Json = {};
  try {
    json = text === '' ? {} : (JSON.parse(text) as Json);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}

/** Polls the image until no import holds its lock (the task finished one way or the other). */
export async function settled(url: string, id: string, headers: Record<string, string> = ADMIN): Promise<Json> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await call(url, 'GET', `/v2/images/${id}`, undefined, headers);
    const lock = r.json.os_glance_import_task;
    if (r.status === 200 && (lock === undefined || lock === '') && r.json.status !== 'importing') return r.json;
    if (Date.now() > deadline) throw new Error(`import of ${id} did not settle: ${r.text}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

export async function lastTask(url: string, id: string): Promise<Json> {
  const r = await call(url, 'GET', `/v2/images/${id}/tasks`, undefined, ADMIN);
  const tasks = r.json.tasks as Json[];
  return tasks[tasks.length - 1]!;
}

export function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}
export function sha512(b: Buffer): string {
  return createHash('sha512').update(b).digest('hex');
}

/** The bytes a file store keeps for an image (`<root>/<id[0..2]>/<id>`). */
export function blobOf(dataDir: string, storePath: string, id: string): Promise<Buffer> {
  return readFile(join(dataDir, storePath, id.slice(0, 2), id));
}
