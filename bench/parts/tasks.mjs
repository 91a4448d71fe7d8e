/**
 * Part tasks: the Rackspace-style round trip. An object in a container is imported by an
 * import task (create → success, i.e. read + md5/sha512 + fsync + activate), then exported by an
 * export task into another container (read + md5 check + fsync). Baseline, interleaved per
 * repetition on the same disk: a plain `cp` of the same file, and `cp` followed by `sync FILE`
 * (the durability the gateway gives). Timing is from the POST to the poll that sees `success`.
 * Every measurement starts after a `sync` with its source file read once (warm page cache).
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { jsonOk } from '../lib/http.mjs';
import { GATEWAY_MAIN, startGateway } from '../lib/procs.mjs';
import { makeRow } from '../lib/report.mjs';
import { ratio, summarizeRates } from '../lib/stats.mjs';

const PROJECT = 'admin';

function cli(dataDir, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [GATEWAY_MAIN, 'container', '--project', PROJECT, ...args], {
      env: { ...process.env, GLANCE_GATEWAY_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`container ${args.join(' ')} exited ${code}`))));
  });
}

async function runTask(url, body) {
  const started = process.hrtime.bigint();
  const created = (await jsonOk(`${url}/v2/tasks`, 'POST', body, [201])).body;
  for (;;) {
    const t = (await jsonOk(`${url}/v2/tasks/${created.id}`, 'GET')).body;
    if (t.status === 'success') return { ms: Number(process.hrtime.bigint() - started) / 1e6, task: t };
    if (t.status === 'failure') throw new Error(`task ${created.id} failed: ${t.message}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Reads a file through once, so every measurement starts with its source in the page cache. */
function warm(file) {
  spawnSync('cat', [file], { stdio: ['ignore', 'ignore', 'ignore'] });
}

function timeCp(src, dst, withSync) {
  warm(src);
  const started = process.hrtime.bigint();
  const r = spawnSync('cp', [src, dst]);
  if (r.status !== 0) throw new Error(`cp failed: ${r.stderr}`);
  if (withSync) spawnSync('sync', [dst]);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  rmSync(dst, { force: true });
  return ms;
}

export async function runTasks({ file, size, reps, log }) {
  const gw = await startGateway({ env: { GLANCE_GATEWAY_TASK_CONCURRENCY: '1' } });
  const t = { import: [], export: [], cp: [], cp_sync: [] };
  let expectedMd5 = null;
  try {
    const put = JSON.parse(await cli(gw.dataDir, ['put', 'bench-in', 'image.raw', file]));
    expectedMd5 = put.md5;
    await jsonOk(`${gw.url}/containers/bench-out`, 'PUT', undefined, [201, 202]);
    const object = path.join(gw.dataDir, 'containers', PROJECT, 'bench-in', 'image.raw');
    for (let rep = 1; rep <= reps; rep++) {
      spawnSync('sync');
      warm(object);
      const imp = await runTask(gw.url, { type: 'import', input: { import_from: 'bench-in/image.raw', image_properties: { name: `bench-${rep}`, disk_format: 'raw' } } });
      const id = imp.task.result.image_id;
      const image = (await jsonOk(`${gw.url}/v2/images/${id}`, 'GET')).body;
      if (image.status !== 'active' || image.size !== size || image.checksum !== expectedMd5) throw new Error(`imported image ${id} wrong`);
      spawnSync('sync');
      warm(path.join(gw.dataDir, 'images', id.slice(0, 2), id));
      const exp = await runTask(gw.url, { type: 'export', input: { image_uuid: id, receiving_swift_container: 'bench-out' } });
      if (exp.task.result.export_location !== `bench-out/${id}.raw`) throw new Error('unexpected export location');
      // The two copies alternate their order: whichever runs first pays for reclaiming the page
      // cache the tasks filled (measured: the first cp of a rep ran several times slower).
      const target = path.join(gw.dataDir, 'cp-target.raw');
      const copies = rep % 2 === 1 ? [false, true] : [true, false];
      const ms = {};
      for (const withSync of copies) {
        spawnSync('sync');
        ms[withSync] = timeCp(object, target, withSync);
      }
      const cpMs = ms[false];
      const cpSyncMs = ms[true];
      t.import.push(imp.ms);
      t.export.push(exp.ms);
      t.cp.push(cpMs);
      t.cp_sync.push(cpSyncMs);
      log(`  tasks rep ${rep}/${reps}: import ${fmt(size, imp.ms)}, export ${fmt(size, exp.ms)}, cp ${fmt(size, cpMs)}, cp+sync ${fmt(size, cpSyncMs)}`);
      await jsonOk(`${gw.url}/v2/images/${id}`, 'DELETE', undefined, [204]);
      await jsonOk(`${gw.url}/containers/bench-out/${id}.raw`, 'DELETE', undefined, [204]);
    }
  } finally {
    await gw.dispose();
  }
  const s = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, summarizeRates(size, v)]));
  const sizeText = `${Math.round(size / 2 ** 20)} MiB`;
  const rows = [];
  for (const op of ['import', 'export']) {
    const metric = `${op} task ${sizeText}`;
    rows.push(makeRow({ section: 'tasks', metric, unit: 'MB/s', gateway: s[op].median_mbps, baseline: s.cp.median_mbps, baselineName: 'cp', target: { on: 'ratio', op: '>=', value: 0.7 } }));
    rows.push(makeRow({ section: 'tasks', metric, unit: 'MB/s', gateway: s[op].median_mbps, baseline: s.cp_sync.median_mbps, baselineName: 'cp + sync FILE' }));
  }
  return {
    rows,
    data: { size_bytes: size, reps, rates: s, md5: expectedMd5, ratio_import_vs_cp: ratio(s.import.median_mbps, s.cp.median_mbps), ratio_export_vs_cp: ratio(s.export.median_mbps, s.cp.median_mbps) },
  };
}

function fmt(size, ms) {
  return `${(size / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
}

