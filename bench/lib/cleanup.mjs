/**
 * Everything the bench leaves behind, in one registry: child processes and temp directories.
 * cleanupAll() kills and removes them; it also runs on exit, on SIGINT/SIGTERM and on an
 * uncaught error, so a failed or interrupted run leaves no server running and no GiB on disk.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const children = new Set();
const dirs = new Set();
const hooks = new Set();

/**
 * A synchronous stop action for something that is not our child (e.g. a service a script
 * started, like glance-api); runs before children are killed and dirs removed. Returns the
 * function that unregisters it.
 */
export function onCleanup(fn) {
  hooks.add(fn);
  return () => hooks.delete(fn);
}

/** Tracks a ChildProcess until it exits. */
export function trackChild(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A fresh directory under the OS temp dir, removed by cleanupAll(). */
export async function tempDir(prefix) {
  const dir = await mkdtemp(path.join(process.env.BENCH_TMPDIR ?? tmpdir(), `glance-bench-${prefix}-`));
  dirs.add(dir);
  return dir;
}

/** Removes one temp dir now (e.g. a gateway data dir holding GiBs) instead of at the end. */
export async function removeDir(dir) {
  dirs.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

/** Synchronous on purpose: it must also work inside an 'exit' handler. */
export function cleanupAll() {
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      /* best effort: keep cleaning */
    }
  }
  hooks.clear();
  for (const child of children) {
    try {
      // Only our own children, by pid; SIGKILL because this is the last resort.
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

let installed = false;

/** Installs the exit, signal and uncaught-error handlers once. */
export function installCleanupHandlers() {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
      cleanupAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: uncaught ${err?.stack ?? err}\n`);
    cleanupAll();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`bench: unhandled rejection ${err?.stack ?? err}\n`);
    cleanupAll();
    process.exit(1);
  });
}
