/**
 * Helpers that drive a REAL gateway process (node dist/main.js) and real CLI clients.
 * Used by test/interop (real OpenStack clients) and test/system (crash, concurrency).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = path.join(ROOT, 'dist', 'main.js');

/** Debian entry points: a pyenv python3 earlier on PATH lacks the OpenStack modules. */
export const PY = '/usr/bin/python3';
export const GLANCE = '/usr/bin/glance';
export const OPENSTACK = '/usr/bin/openstack';
export const CURL = '/usr/bin/curl';

export interface Gateway {
  url: string;
  port: number;
  dataDir: string;
  proc: ChildProcess;
  /** Every stdout/stderr line so far (pino JSON lines on stdout). */
  logs: string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL now and wait for the exit. */
  kill(): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /** Reuse a data dir (restart after a crash); default: a fresh temp dir. */
  dataDir?: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * `npm run test:interop` builds first; `npm test` may not. Build dist/ when it is missing or
 * older than src/ (a lock directory keeps parallel test files from building at once).
 */
export async function ensureBuilt(): Promise<void> {
  const lock = path.join(ROOT, '.tmp', 'build.lock');
  if (process.env.GG_SERVER_CMD) return;
  const fresh = () => existsSync(MAIN) && statSync(MAIN).mtimeMs >= newestMtime(path.join(ROOT, 'src'));
  for (let i = 0; i < 600 && !fresh(); i++) {
    mkdirSync(path.dirname(lock), { recursive: true });
    try {
      mkdirSync(lock);
    } catch {
      await sleep(500);
      continue;
    }
    try {
      if (!fresh()) {
        const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
      }
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  if (!existsSync(MAIN)) throw new Error(`${MAIN} does not exist after build`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const created: string[] = [];

/** A fresh temp dir (`gg-<prefix>-*`), removed by removeTempDirs(). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `gg-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Removes every dir tempDir() made in this process (call from afterAll, after stopping gateways). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export async function startGateway(opts: StartOptions = {}): Promise<Gateway> {
  const dataDir = opts.dataDir ?? tempDir('data');
  let lastErr = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GLANCE_GATEWAY_HOST: '127.0.0.1',
      GLANCE_GATEWAY_PORT: String(port),
      GLANCE_GATEWAY_DATA_DIR: dataDir,
      GLANCE_GATEWAY_AUTH: 'noauth',
      ...opts.env,
    };
    // GG_SERVER_CMD runs the suites against another server with the same env contract (e.g. a
    // reference Glance behind a noauth shim) to check the tests themselves.
    const alt = process.env.GG_SERVER_CMD;
    const proc = alt
      ? spawn('/bin/bash', ['-c', `exec ${alt}`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const logs: string[] = [];
    const collect = (chunk: Buffer) => logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    proc.stdout!.on('data', collect);
    proc.stderr!.on('data', collect);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.on('exit', (code, signal) => resolve({ code, signal })),
    );
    let dead = false;
    void exited.then(() => (dead = true));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
    let ready = false;
    while (!dead && Date.now() < deadline) {
      try {
        const r = await fetch(`${url}/healthcheck`, { signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        if (r.status === 200) {
          ready = true;
          break;
        }
      } catch {
        /* not listening yet */
      }
      await sleep(100);
    }
    const gw: Gateway = {
      url,
      port,
      dataDir,
      proc,
      logs,
      exited,
      async stop(graceMs = 10_000) {
        if (dead) return (await exited).code;
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        const r = await exited;
        clearTimeout(t);
        return r.code;
      },
      async kill() {
        if (!dead) proc.kill('SIGKILL');
        await exited;
      },
    };
    if (ready) return gw;
    await gw.kill();
    lastErr = logs.slice(-30).join('\n');
    if (!/EADDRINUSE/.test(lastErr)) break;
  }
  throw new Error(`gateway did not become ready; last log lines:\n${lastErr}`);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  /** The whole environment of the child (default: this process's). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  input?: string | Buffer;
  cwd?: string;
}

/** Environment for the Debian clients: no OS_* leaking in, Debian python first on PATH. */
export function clientEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('OS_') && !k.startsWith('PYENV') && !k.startsWith('PYTHON')) env[k] = v;
  }
  return { ...env, HOME: home, PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', LANG: 'C.UTF-8', ...extra };
}

/** Runs a command with a deadline (its whole process group is killed then). */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    proc.stdout.on('data', (c: Buffer) => out.push(c));
    proc.stderr.on('data', (c: Buffer) => err.push(c));
    proc.on('error', reject);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, opts.timeoutMs ?? 120_000);
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
    proc.stdin.on('error', () => undefined);
    proc.stdin.end(opts.input ?? '');
  });
}

/** Runs a Debian OpenStack client with a scratch HOME (glanceclient schema-cache bug). */
export async function runClient(
  cmd: string,
  args: string[],
  opts: Omit<RunOptions, 'env'> & { env?: Record<string, string> } = {},
): Promise<RunResult> {
  const home = await mkdtemp(path.join(tmpdir(), 'gg-home-'));
  try {
    return await run(cmd, args, { ...opts, env: clientEnv(home, opts.env) });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

export function describeRun(r: RunResult): string {
  return `exit=${r.code}${r.timedOut ? ' (timed out)' : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr.slice(-4000)}`;
}
