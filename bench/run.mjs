#!/usr/bin/env node
/**
 * npm run bench [-- upload download meta memory v1 auth tasks upstream]
 *
 * Runs the selected parts against the built gateway (dist/main.js) and their bare baselines,
 * prints one table of absolute figures and gateway/baseline ratios, and writes the full result
 * (every repetition, CPU seconds, environment) to bench/results/bench-<time>.json.
 * Settings: see bench/lib/config.mjs. Every server and temp file is removed at the end, also
 * when a part fails or the run is interrupted.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanupAll, installCleanupHandlers, tempDir } from './lib/cleanup.mjs';
import { loadConfig } from './lib/config.mjs';
import { backgroundLoad } from './lib/machine.mjs';
import { writeRandomFile } from './lib/payload.mjs';
import { GATEWAY_MAIN, ROOT } from './lib/procs.mjs';
import { formatTable, writeResults } from './lib/report.mjs';
import { runDownload } from './parts/download.mjs';
import { runMemory } from './parts/memory.mjs';
import { runMeta } from './parts/meta.mjs';
import { runUpload } from './parts/upload.mjs';
import { runV1 } from './parts/v1.mjs';
import { runAuth } from './parts/auth.mjs';
import { runTasks } from './parts/tasks.mjs';
import { runUpstream } from './parts/upstream.mjs';

const log = (msg) => process.stdout.write(`${msg}\n`);

function environment() {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return {
    gateway_version: pkg.version,
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? null,
    total_mem_bytes: os.totalmem(),
    loadavg_at_start: os.loadavg(),
    started_at: new Date().toISOString(),
  };
}

async function main() {
  installCleanupHandlers();
  const cfg = loadConfig(process.argv.slice(2), process.env);
  if (!existsSync(GATEWAY_MAIN)) throw new Error(`${GATEWAY_MAIN} is missing: run npm run build (npm run bench does)`);
  const env = environment();
  log(`glance-gateway bench: parts ${cfg.parts.join(', ')}; node ${env.node}, ${env.cpus} cpus, load ${env.loadavg_at_start.map((x) => x.toFixed(2)).join(' ')}`);
  log(`  image ${cfg.size / 2 ** 20} MiB x ${cfg.reps} reps; memory image ${cfg.memSize / 2 ** 20} MiB; ${cfg.images} images; c=${cfg.connections.join(',')}; ${cfg.duration} s runs`);

  let file = null;
  if (cfg.parts.includes('upload') || cfg.parts.includes('download') || cfg.parts.includes('v1') || cfg.parts.includes('tasks') || cfg.parts.includes('upstream')) {
    const t0 = performance.now();
    file = await writeRandomFile(path.join(await tempDir('payload'), 'image.raw'), cfg.size);
    log(`  generated ${file} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  const runners = {
    upload: () => runUpload({ file, size: cfg.size, reps: cfg.reps, log }),
    download: () => runDownload({ file, size: cfg.size, reps: cfg.reps, log }),
    meta: () => runMeta({ images: cfg.images, connections: cfg.connections, duration: cfg.duration, warmup: cfg.warmup, log }),
    memory: () => runMemory({ memSize: cfg.memSize, log }),
    auth: () => runAuth({ connections: cfg.connections, duration: cfg.duration, warmup: cfg.warmup, log }),
    tasks: () => runTasks({ file, size: cfg.size, reps: cfg.reps, log }),
    v1: () => runV1({ file, size: cfg.size, reps: cfg.reps, connections: cfg.connections, duration: cfg.duration, warmup: cfg.warmup, log }),
    upstream: () => runUpstream({ file, size: cfg.size, reps: cfg.reps, connections: cfg.connections, duration: cfg.duration, warmup: cfg.warmup, log }),
  };
  const rows = [];
  const parts = {};
  const failures = [];
  for (const part of cfg.parts) {
    const background = await backgroundLoad();
    log(`\n== ${part} (background load before it: ${background.busy_cores} of ${os.cpus().length} cores busy, load avg ${os.loadavg()[0].toFixed(2)})`);
    const t0 = performance.now();
    const load = os.loadavg();
    try {
      const r = await runners[part]();
      rows.push(...r.rows);
      // Load average around the part: other work on the machine skews every figure.
      parts[part] = { ...r.data, wall_s: (performance.now() - t0) / 1000, background_before: background, loadavg_before: load, loadavg_after: os.loadavg() };
    } catch (err) {
      failures.push(part);
      parts[part] = { error: String(err?.stack ?? err) };
      log(`  ${part} FAILED: ${err?.stack ?? err}`);
    }
  }

  env.loadavg_at_end = os.loadavg();
  env.finished_at = new Date().toISOString();
  log(`\n${formatTable(rows)}`);
  log('\nratio = gateway / baseline: above 1 is better for MB/s and req/s, worse for ms and MB.');
  const missed = rows.filter((r) => r.pass === false);
  if (missed.length > 0) log(`targets missed: ${missed.map((r) => `${r.section} ${r.metric}`).join('; ')}`);
  const out = writeResults({ config: cfg, environment: env, rows, parts, failures });
  log(`results: ${path.relative(process.cwd(), out)}`);
  if (failures.length > 0) {
    log(`failed parts: ${failures.join(', ')}`);
    process.exitCode = 1;
  }
}

main()
  .catch((err) => {
    process.stderr.write(`bench: ${err?.stack ?? err}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    cleanupAll();
    // Nothing of ours is left running; do not wait on stray handles (sockets in TIME_WAIT etc.).
    process.exit();
  });
