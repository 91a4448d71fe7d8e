/**
 * Part 3, metadata: seed N images through POST /v2/images (autocannon, concurrent; the seeding
 * rate is reported), then autocannon GET /v2/images/{id} and GET /v2/images?limit=20 on the
 * gateway against a bare Hono app answering the same body bytes, at each connection count.
 * Extras: show with a random id per request (beyond the metadata cache), and the show figure
 * again with request logging on (info level, stdout to /dev/null) to price the logging.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { cannon } from '../lib/cannon-client.mjs';
import { tempDir } from '../lib/cleanup.mjs';
import { jsonOk } from '../lib/http.mjs';
import { foreignLoad } from '../lib/machine.mjs';
import { startBaseline, startGateway, threadCpu, threadCpuDelta } from '../lib/procs.mjs';
import { makeRow } from '../lib/report.mjs';

const SHOW_P99_MS = 5;
const LIST_P99_MS = 20;

/** Every image id, through the public list API (pages of 1000, following `next`). */
async function allIds(gwUrl) {
  const ids = [];
  let next = '/v2/images?limit=1000';
  while (next) {
    const { body } = await jsonOk(gwUrl + next, 'GET');
    for (const img of body.images) ids.push(img.id);
    next = body.next ?? null;
  }
  return ids;
}

export async function runMeta({ images, connections, duration, warmup, log }) {
  const work = await tempDir('meta');
  const first = await startGateway();
  let gw = first;
  const servers = [gw];
  const results = { runs: [] };
  const rows = [];
  try {
    log(`  seeding ${images} images with concurrent POST /v2/images (16 connections)...`);
    const seed = await cannon({
      url: gw.url,
      path: '/v2/images',
      method: 'POST',
      connections: 16,
      amount: images,
      warmup: 0,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench-image', disk_format: 'raw', container_format: 'bare', tags: ['bench'] }),
    });
    if (seed.ok !== images) throw new Error(`seeding: ${seed.ok} of ${images} POSTs succeeded: ${JSON.stringify(seed.status_codes)}`);
    results.seed = seed;
    log(`  seeded at ${seed.rps.toFixed(0)} images/s (${seed.elapsed_s.toFixed(1)} s), p99 ${seed.latency_ms.p99.toFixed(2)} ms`);
    rows.push(makeRow({ section: 'meta', metric: `seed POST /v2/images x${images} c=16`, unit: 'req/s', gateway: seed.rps }));
    results.seed.images_per_s = seed.rps;

    const ids = await allIds(gw.url);
    if (ids.length !== images) throw new Error(`list shows ${ids.length} images, expected ${images}`);
    const idsFile = path.join(work, 'ids.txt');
    writeFileSync(idsFile, ids.join('\n'));
    const showId = ids[Math.floor(ids.length / 2)];
    const routes = { show: `/v2/images/${showId}`, list: '/v2/images?limit=20' };

    // The baseline answers with the gateway's own bytes for both routes.
    const bodies = {};
    for (const [k, p] of Object.entries(routes)) bodies[k] = (await jsonOk(gw.url + p, 'GET')).text;
    const bodiesFile = path.join(work, 'bodies.json');
    writeFileSync(bodiesFile, JSON.stringify(bodies));
    results.body_bytes = Object.fromEntries(Object.entries(bodies).map(([k, v]) => [k, Buffer.byteLength(v)]));
    const hono = await startBaseline('hono-server.mjs', { BENCH_BODIES: bodiesFile });
    servers.push(hono);

    const load = async (label, target, p, c, extra = {}) => {
      const w = foreignLoad();
      const cpu0 = threadCpu(target.pid);
      const r = await cannon({ url: target.url, path: p, connections: c, duration, warmup, ...extra });
      const serverCpu = threadCpuDelta(target.pid, cpu0, threadCpu(target.pid)).total;
      const others = w.end(serverCpu + r.cpu_s);
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${label}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      // Server CPU per request (warm-up included on both sides): efficiency, barely moved by other load.
      const cpuUs = (serverCpu / (r.requests + r.warmup_requests)) * 1e6;
      const run = { label, connections: c, path: p, ...r, server_cpu_s: serverCpu, server_cpu_us_per_req: cpuUs, others_cores: others };
      results.runs.push(run);
      log(
        `  ${label.padEnd(28)} c=${String(c).padEnd(3)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.latency_ms.p50.toFixed(2)} ms  ` +
          `p99 ${r.latency_ms.p99.toFixed(2)} ms  (server ${cpuUs.toFixed(0)} µs cpu/req, other load ${others} cores)`,
      );
      return run;
    };
    const compare = (metric, g, b, p99Target) => {
      const common = { section: 'meta', baselineName: 'bare hono', noise: [g.others_cores, b.others_cores] };
      rows.push(makeRow({ ...common, metric: `${metric} req/s`, unit: 'req/s', gateway: g.rps, baseline: b.rps }));
      rows.push(makeRow({ ...common, metric: `${metric} server CPU/req`, unit: 'µs', gateway: g.server_cpu_us_per_req, baseline: b.server_cpu_us_per_req }));
      rows.push(makeRow({ ...common, metric: `${metric} p50`, unit: 'ms', gateway: g.latency_ms.p50, baseline: b.latency_ms.p50 }));
      const target = p99Target === undefined ? undefined : { on: 'gateway', op: '<', value: p99Target };
      rows.push(makeRow({ ...common, metric: `${metric} p99`, unit: 'ms', gateway: g.latency_ms.p99, baseline: b.latency_ms.p99, target }));
    };

    const honoShow = {};
    for (const c of connections) {
      const g = await load('gateway show', gw, routes.show, c);
      const b = await load('hono show', hono, routes.show, c);
      honoShow[c] = b;
      compare(`show c=${c}`, g, b, SHOW_P99_MS);
      const gl = await load('gateway list limit=20', gw, routes.list, c);
      const bl = await load('hono list limit=20', hono, routes.list, c);
      compare(`list limit=20 c=${c}`, gl, bl, LIST_P99_MS);
    }
    const c0 = connections[0];
    const rnd = await load('gateway show random id', gw, '/v2/images/x', c0, { idsFile });
    compare(`show random of ${images} c=${c0}`, rnd, honoShow[c0]);

    // Same data, request logging on: info level, stdout to /dev/null.
    await gw.stop();
    gw = await startGateway({ dataDir: gw.dataDir, logLevel: 'info' });
    servers.push(gw);
    const logged = await load('gateway show, info log', gw, routes.show, c0);
    compare(`show c=${c0} info-logging`, logged, honoShow[c0], SHOW_P99_MS);
    const quiet = results.runs.find((r) => r.label === 'gateway show' && r.connections === c0);
    results.logging_cost = {
      rps_warn: quiet.rps,
      rps_info: logged.rps,
      rps_ratio: logged.rps / quiet.rps,
      cpu_us_per_req_warn: quiet.server_cpu_us_per_req,
      cpu_us_per_req_info: logged.server_cpu_us_per_req,
    };
    log(`  request logging (info) costs ${(logged.server_cpu_us_per_req - quiet.server_cpu_us_per_req).toFixed(0)} µs CPU per show request`);
  } finally {
    for (const s of servers) await s.stop();
    await first.dispose(); // removes the data dir both gateways used
  }
  return { rows, data: results };
}
