/**
 * Starting and stopping the processes under test: the gateway (node dist/main.js) and the bare
 * baseline servers, each on its own free loopback port, plus /proc readings of their memory.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, trackChild, removeDir } from './cleanup.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const GATEWAY_MAIN = path.join(ROOT, 'dist', 'main.js');
const HOST = '127.0.0.1';

/** A port that was free a moment ago (bind to 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `node [nodeArgs] script [args]` and waits until GET readyPath answers. stdout goes to
 * /dev/null unless `stdout: 'inherit'`; stderr is kept (last 4 KiB) for error messages.
 */
async function startNode({ name, script, args = [], env = {}, nodeArgs = [], readyPath, stdout = 'ignore' }) {
  const port = await freePort();
  const child = trackChild(
    spawn(process.execPath, [...nodeArgs, script, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, BENCH_PORT: String(port), GLANCE_GATEWAY_PORT: String(port) },
      stdio: ['ignore', stdout, 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4096);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://${HOST}:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const early = await Promise.race([exited, sleep(100).then(() => null)]);
    if (early !== null) throw new Error(`${name} exited during start (${JSON.stringify(early)}):\n${stderr}`);
    try {
      const res = await fetch(url + readyPath);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${name} not ready after 30 s:\n${stderr}`);
  }
  return {
    name,
    url,
    port,
    pid: child.pid,
    child,
    exited,
    stderr: () => stderr,
    /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const done = await Promise.race([exited, sleep(graceMs).then(() => null)]);
      if (done !== null) return done;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

/**
 * A gateway on a fresh data dir (or `dataDir`). `logLevel` defaults to warn so request logs
 * stay off; BENCH_GATEWAY_NODE_ARGS adds node flags (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p").
 */
export async function startGateway({ logLevel = 'warn', dataDir, env = {} } = {}) {
  const dir = dataDir ?? (await tempDir('gw-data'));
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const gw = await startNode({
    name: 'gateway',
    script: GATEWAY_MAIN,
    nodeArgs,
    env: { GLANCE_GATEWAY_DATA_DIR: dir, GLANCE_GATEWAY_LOG_LEVEL: logLevel, GLANCE_GATEWAY_HOST: HOST, ...env },
    readyPath: '/healthcheck',
  });
  return {
    ...gw,
    dataDir: dir,
    /** Stops the process and deletes its data dir (unless it was given). */
    async dispose() {
      await gw.stop();
      if (dataDir === undefined) await removeDir(dir);
    },
  };
}

/** One of the bench/baselines servers; `env` configures it (see each file's header). */
export async function startBaseline(file, env = {}) {
  const srv = await startNode({
    name: path.basename(file, '.mjs'),
    script: path.join(ROOT, 'bench', 'baselines', file),
    env,
    readyPath: '/ready',
  });
  return { ...srv, dispose: () => srv.stop() };
}

/** VmRSS / VmHWM / VmPeak of a live process in bytes (Linux /proc). */
export function procMemory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return m === null ? null : Number(m[1]) * 1024;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), peak: kb('VmPeak') };
}

/** Samples VmRSS every intervalMs; stop() returns the highest sample. */
export function sampleRss(pid, intervalMs = 50) {
  let max = 0;
  const timer = setInterval(() => {
    try {
      max = Math.max(max, procMemory(pid).rss ?? 0);
    } catch {
      /* process gone */
    }
  }, intervalMs);
  return { stop: () => (clearInterval(timer), max) };
}

/**
 * CPU seconds per thread of a live process (/proc/<pid>/task/<tid>/stat), keyed by tid; the
 * main (event loop) thread has tid === pid.
 */
export function threadCpu(pid) {
  const out = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[tid] = (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      /* thread ended */
    }
  }
  return out;
}

/**
 * CPU seconds between two threadCpu() readings, split into the main thread, the busiest other
 * thread (during an upload: the sha512 worker) and all the rest (libuv pool, GC, compiler).
 */
export function threadCpuDelta(pid, before, after) {
  const d = Object.entries(after).map(([tid, s]) => [tid, s - (before[tid] ?? 0)]);
  const main = d.find(([tid]) => tid === String(pid))?.[1] ?? 0;
  const others = d.filter(([tid]) => tid !== String(pid)).map(([, s]) => s).sort((a, b) => b - a);
  const busiest = others[0] ?? 0;
  const rest = others.slice(1).reduce((a, b) => a + b, 0);
  const r = (x) => Math.round(x * 100) / 100;
  return { total: r(main + busiest + rest), main: r(main), busiest_other: r(busiest), rest: r(rest) };
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
