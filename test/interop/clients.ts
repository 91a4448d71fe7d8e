/** Invocation wrappers for the Debian OpenStack clients and parsers for their output. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GLANCE, OPENSTACK, PY, describeRun, runClient, type RunResult } from './gateway.js';
import { whoEnv, type Who } from './target.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const GC_AS = path.join(HERE, 'gc_as.py');
export const SDK_SCENARIO = path.join(HERE, 'sdk_scenario.py');
export const TOKEN = 'noauth-token';

export interface ClientOptions {
  tty?: boolean;
  timeoutMs?: number;
  /** X-Auth-Token the client sends (default TOKEN: ignored by the gateway's noauth mode). */
  token?: string;
}

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/**
 * glanceclient v2 CLI. `tty` runs it under util-linux `script` so stdin is a terminal: without
 * one, image-create/-update treat stdin as image data (a pipe or /dev/null = 0-byte upload).
 */
export function glance(url: string, args: string[], opts: ClientOptions = {}) {
  const argv = ['--os-image-url', url, '--os-auth-token', opts.token ?? TOKEN, ...args];
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return opts.tty ? underTty(GLANCE, argv, timeoutMs) : runClient(GLANCE, argv, { timeoutMs });
}

/** Runs a client under util-linux `script`, so its stdin is a terminal (stderr joins stdout). */
export async function underTty(cmd: string, argv: string[], timeoutMs: number): Promise<RunResult> {
  const line = [cmd, ...argv].map(shellQuote).join(' ');
  const r = await runClient('/usr/bin/script', ['-qec', line, '/dev/null'], { timeoutMs });
  return { ...r, stdout: r.stdout.replace(/\r/g, '') };
}

/**
 * openstackclient against the /v2 endpoint with admin_token auth (no discovery). `tty` as for
 * glance(): `image create` without --file otherwise uploads stdin.
 */
export function openstack(url: string, args: string[], opts: ClientOptions = {}): Promise<RunResult> {
  const argv = ['--os-auth-type', 'admin_token', '--os-token', opts.token ?? TOKEN, '--os-endpoint', `${url}/v2`, ...args];
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return opts.tty ? underTty(OPENSTACK, argv, timeoutMs) : runClient(OPENSTACK, argv, { timeoutMs });
}

/** openstackclient with version discovery on the unversioned endpoint. */
export function openstackDiscovery(url: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return runClient(OPENSTACK, ['--os-auth-type', 'none', '--os-endpoint', url, ...args], { timeoutMs });
}

/** Runs a command that must succeed and parses its `-f json` output. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function okJson(r: RunResult): any {
  if (r.code !== 0) throw new Error(`client failed: ${describeRun(r)}`);
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON: ${describeRun(r)}`);
  }
}

export function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`client failed: ${describeRun(r)}`);
  return r;
}

/**
 * glanceclient library call as another project (gc_as.py): `who` is a project id (noauth identity
 * headers with `roles`) or a Who (its Keystone token when it has one).
 */
export async function gcAs(url: string, who: string | Who, roles: string, op: string, ...args: string[]) {
  const w: Who = typeof who === 'string' ? { project: who, roles, headers: {} } : who;
  const r = await runClient(PY, [GC_AS, url, w.project, w.roles, op, ...args], { timeoutMs: 120_000, env: whoEnv(w) });
  if (r.code !== 0) throw new Error(`gc_as.py failed: ${describeRun(r)}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as { ok: boolean; result?: unknown; status?: number; error?: string };
}

/**
 * Parses a PrettyTable (glanceclient print_dict / print_list). Rows whose first cell is empty
 * continue the previous row (print_dict wraps long values at 80 columns).
 */
export function parseTable(out: string): string[][] {
  const rows: string[][] = [];
  for (const line of out.split('\n')) {
    if (!line.startsWith('|')) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const prev = rows[rows.length - 1];
    if (cells[0] === '' && prev && rows.length > 1) {
      cells.forEach((c, i) => (prev[i] = (prev[i] ?? '') + c));
    } else rows.push(cells);
  }
  return rows;
}

/** A two-column Property/Value table as an object. */
export function parseDict(out: string): Record<string, string> {
  const rows = parseTable(out);
  if (rows[0]?.[0] !== 'Property') throw new Error(`no Property table in:\n${out}`);
  return Object.fromEntries(rows.slice(1).map((r) => [r[0] ?? '', r[1] ?? '']));
}

/** A list table (first row = headers) as objects keyed by header. */
export function parseList(out: string): Record<string, string>[] {
  const [head, ...rows] = parseTable(out);
  if (!head) throw new Error(`no table in:\n${out}`);
  return rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i] ?? ''])));
}
