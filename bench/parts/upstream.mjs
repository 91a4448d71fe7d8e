/**
 * Part 7, upstream: the gateway in upstream mode (GLANCE_GATEWAY_MODE=upstream) in front of a
 * REAL Glance 25.1 (test/glance/glance.sh, noauth flavor), against that same Glance called
 * directly, in the same run:
 * - hot cache: autocannon HEAD /v1/images/{id} through the gateway (after the first request the
 *   metadata comes from the gateway's cache) vs GET /v2/images/{id} straight to Glance, the
 *   HEAD-equivalent. Target ≥ 10× requests/s.
 * - cold cache: images created directly in Glance (the gateway never saw them); one sequential
 *   keep-alive request per image and path, interleaved: HEAD /v1 (first touch) and GET /v2
 *   (streamed pass-through) through the gateway vs GET /v2 direct. Median latency, target ≤ 1.1×.
 * - BENCH_SIZE_MB upload and download through the gateway (v2 pass-through PUT/GET /file, v1
 *   POST /v1/images with data, GET /v1/images/{id}) vs direct v2 PUT/GET /file, interleaved per
 *   repetition, checksums checked. Target ≥ 0.9× MB/s. The gateway's RSS is sampled during all
 *   transfers: peak growth over its idle RSS must stay small (target < 64 MB: nothing buffered).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { Agent, request } from 'undici';
import { cannon } from '../lib/cannon-client.mjs';
import { onCleanup, tempDir } from '../lib/cleanup.mjs';
import { timeTool } from '../lib/hash-tools.mjs';
import { getDiscard, jsonOk, putBody } from '../lib/http.mjs';
import { foreignLoad } from '../lib/machine.mjs';
import { ROOT, freePort, procMemory, sampleRss, startGateway, threadCpu, threadCpuDelta } from '../lib/procs.mjs';
import { makeRow } from '../lib/report.mjs';
import { median, percentile, summarizeRates } from '../lib/stats.mjs';
import { syncDisks } from './upload.mjs';

const GLANCE_SH = path.join(ROOT, 'test', 'glance', 'glance.sh');
const COLD_IMAGES = 150;
const ROUNDS = 3;
const MB = 1e6;

function glanceSh(cmd, env) {
  const r = spawnSync('bash', [GLANCE_SH, cmd], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) throw new Error(`glance.sh ${cmd} failed (${r.status}):\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

async function createImage(base, name) {
  return (await jsonOk(`${base}/v2/images`, 'POST', { name, disk_format: 'raw', container_format: 'bare' }, [201])).body.id;
}

/** POST /v1/images with the file as the body; resolves with { ms, id }. */
async function postV1(base, file, name) {
  const size = statSync(file).size;
  const t0 = process.hrtime.bigint();
  const { statusCode, body } = await request(`${base}/v1/images`, {
    method: 'POST',
    headers: {
      'content-type': 'application/octet-stream', 'content-length': String(size), 'x-image-meta-name': name,
      'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare',
    },
    body: createReadStream(file, { highWaterMark: 1024 * 1024 }),
  });
  const text = await body.text();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (statusCode !== 201) throw new Error(`POST /v1/images -> ${statusCode}: ${text.slice(0, 300)}`);
  return { ms, id: JSON.parse(text).image.id };
}

/** One keep-alive request, body discarded; resolves with its wall time in ms. */
async function timed(dispatcher, url, method) {
  const t0 = process.hrtime.bigint();
  const { statusCode, body } = await request(url, { method, dispatcher });
  await body.dump();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (statusCode !== 200) throw new Error(`${method} ${url} -> ${statusCode}`);
  return ms;
}

export async function runUpstream({ file, size, reps, connections, duration, warmup, log }) {
  const state = await tempDir('glance');
  const glanceEnv = { GLANCE_STATE: state, GLANCE_PORT: String(await freePort()), GLANCE_FLAVOR: 'noauth' };
  // Registered before start: an interrupted run must not leave glance-api behind.
  const unregister = onCleanup(() => spawnSync('bash', [GLANCE_SH, 'stop'], { env: { ...process.env, ...glanceEnv } }));
  const rows = [];
  const data = { hot: [], cold: {}, transfers: { gw_v2_up: [], gw_v1_up: [], direct_up: [], gw_v2_down: [], gw_v1_down: [], direct_down: [] } };
  let gw = null;
  const pool = new Agent({ connections: 4 });
  try {
    log('  starting a real Glance (test/glance/glance.sh start, noauth flavor)...');
    glanceSh('start', glanceEnv);
    const glance = `http://127.0.0.1:${glanceEnv.GLANCE_PORT}`;
    gw = await startGateway({ env: { GLANCE_GATEWAY_MODE: 'upstream', GLANCE_GATEWAY_UPSTREAM_URL: glance } });

    // Hot cache: HEAD /v1 through the gateway vs the HEAD-equivalent GET /v2 straight to Glance.
    const id = await createImage(glance, 'bench-upstream-head');
    for (const c of connections) {
      const measure = async (label, base, pid, path, method) => {
        const w = foreignLoad();
        const cpu0 = pid ? threadCpu(pid) : null;
        const r = await cannon({ url: base, path, method, connections: c, duration, warmup });
        const serverCpu = pid ? threadCpuDelta(pid, cpu0, threadCpu(pid)).total : 0;
        const others = w.end(r.cpu_s + serverCpu);
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${label}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        data.hot.push({ label, connections: c, ...r, others_cores: others });
        log(`  ${label.padEnd(34)} c=${String(c).padEnd(3)} ${r.rps.toFixed(0).padStart(6)} req/s  p99 ${r.latency_ms.p99.toFixed(2)} ms`);
        return { ...r, others };
      };
      const g = [];
      const d = [];
      for (let round = 0; round < ROUNDS; round++) {
        d.push(await measure('GET /v2/images/{id} direct Glance', glance, null, `/v2/images/${id}`, 'GET'));
        g.push(await measure('HEAD /v1/images/{id} gateway (hot)', gw.url, gw.pid, `/v1/images/${id}`, 'HEAD'));
      }
      const mid = (runs) => [...runs].sort((x, y) => x.rps - y.rps)[Math.floor(runs.length / 2)];
      const [gm, dm] = [mid(g), mid(d)];
      const common = { section: 'upstream', baselineName: 'Glance GET /v2/images/{id}', noise: [gm.others, dm.others] };
      rows.push(makeRow({ ...common, metric: `HEAD /v1 hot cache c=${c} req/s`, unit: 'req/s', gateway: gm.rps, baseline: dm.rps, target: { on: 'ratio', op: '>=', value: 10 } }));
      rows.push(makeRow({ ...common, metric: `HEAD /v1 hot cache c=${c} p99`, unit: 'ms', gateway: gm.latency_ms.p99, baseline: dm.latency_ms.p99 }));
    }

    // Cold cache: images the gateway has never seen, one request each, interleaved.
    log(`  seeding ${COLD_IMAGES} images directly in Glance...`);
    const cold = [];
    for (let i = 0; i < COLD_IMAGES; i++) cold.push(await createImage(glance, `bench-cold-${i}`));
    const lat = { direct: [], gw_v1_head: [], gw_v2_get: [] };
    for (const cid of cold) {
      lat.direct.push(await timed(pool, `${glance}/v2/images/${cid}`, 'GET'));
      lat.gw_v1_head.push(await timed(pool, `${gw.url}/v1/images/${cid}`, 'HEAD'));
      lat.gw_v2_get.push(await timed(pool, `${gw.url}/v2/images/${cid}`, 'GET'));
    }
    const summary = (v) => ({ median: median(v), p90: percentile(v, 90), p99: percentile(v, 99) });
    data.cold = Object.fromEntries(Object.entries(lat).map(([k, v]) => [k, summary(v)]));
    log(`  cold: direct GET /v2 median ${data.cold.direct.median.toFixed(2)} ms; gateway HEAD /v1 ${data.cold.gw_v1_head.median.toFixed(2)} ms, GET /v2 ${data.cold.gw_v2_get.median.toFixed(2)} ms`);
    const coldCommon = { section: 'upstream', unit: 'ms', baselineName: 'Glance GET /v2/images/{id}' };
    rows.push(makeRow({ ...coldCommon, metric: 'HEAD /v1 cold cache, median latency', gateway: data.cold.gw_v1_head.median, baseline: data.cold.direct.median, target: { on: 'ratio', op: '<', value: 1.1 } }));
    rows.push(makeRow({ ...coldCommon, metric: 'GET /v2/images/{id} pass-through, median latency', gateway: data.cold.gw_v2_get.median, baseline: data.cold.direct.median, target: { on: 'ratio', op: '<', value: 1.1 } }));
    rows.push(makeRow({ ...coldCommon, metric: 'HEAD /v1 cold cache, p90 latency', gateway: data.cold.gw_v1_head.p90, baseline: data.cold.direct.p90 }));

    // Transfers, interleaved per repetition; the gateway's RSS sampled through all of them.
    const md5 = (await timeTool('md5sum', file)).digest;
    const idle = procMemory(gw.pid).rss;
    const rss = sampleRss(gw.pid, 25);
    const check = async (imageId, label) => {
      const shown = (await jsonOk(`${glance}/v2/images/${imageId}`, 'GET')).body;
      if (shown.status !== 'active' || shown.size !== size || shown.checksum !== md5) {
        throw new Error(`${label} ${imageId} wrong in Glance: ${JSON.stringify({ status: shown.status, size: shown.size, checksum: shown.checksum })}`);
      }
    };
    const t = data.transfers;
    for (let rep = 1; rep <= reps; rep++) {
      syncDisks();
      const directId = await createImage(glance, `bench-direct-${rep}`);
      t.direct_up.push((await putBody(`${glance}/v2/images/${directId}/file`, file)).ms);
      await check(directId, 'direct upload');
      syncDisks();
      const gwId = await createImage(gw.url, `bench-gw-v2-${rep}`);
      t.gw_v2_up.push((await putBody(`${gw.url}/v2/images/${gwId}/file`, file)).ms);
      await check(gwId, 'gateway v2 upload');
      syncDisks();
      const v1 = await postV1(gw.url, file, `bench-gw-v1-${rep}`);
      t.gw_v1_up.push(v1.ms);
      await check(v1.id, 'gateway v1 upload');
      t.direct_down.push((await getDiscard(`${glance}/v2/images/${directId}/file`)).ms);
      t.gw_v2_down.push((await getDiscard(`${gw.url}/v2/images/${directId}/file`)).ms);
      t.gw_v1_down.push((await getDiscard(`${gw.url}/v1/images/${directId}`)).ms);
      const mbps = (ms) => (size / MB / (ms / 1000)).toFixed(0);
      log(`  rep ${rep}/${reps}: up direct ${mbps(t.direct_up.at(-1))}, gw v2 ${mbps(t.gw_v2_up.at(-1))}, gw v1 ${mbps(t.gw_v1_up.at(-1))} MB/s; ` +
        `down direct ${mbps(t.direct_down.at(-1))}, gw v2 ${mbps(t.gw_v2_down.at(-1))}, gw v1 ${mbps(t.gw_v1_down.at(-1))} MB/s`);
      for (const i of [directId, gwId, v1.id]) await jsonOk(`${glance}/v2/images/${i}`, 'DELETE', undefined, [204]);
    }
    const peak = rss.stop();
    data.rss = { idle, peak, growth: peak - idle };
    log(`  gateway RSS: idle ${(idle / MB).toFixed(0)} MB, peak during transfers ${(peak / MB).toFixed(0)} MB`);
    const rate = (k) => summarizeRates(size, t[k]).median_mbps;
    const sizeText = `${Math.round(size / 2 ** 20)} MiB`;
    const xfer = { section: 'upstream', unit: 'MB/s', target: { on: 'ratio', op: '>=', value: 0.9 } };
    rows.push(makeRow({ ...xfer, metric: `upload ${sizeText} gateway v2 PUT /file`, gateway: rate('gw_v2_up'), baseline: rate('direct_up'), baselineName: 'Glance PUT /file' }));
    rows.push(makeRow({ ...xfer, metric: `upload ${sizeText} gateway POST /v1/images`, gateway: rate('gw_v1_up'), baseline: rate('direct_up'), baselineName: 'Glance PUT /file' }));
    rows.push(makeRow({ ...xfer, metric: `download ${sizeText} gateway v2 GET /file`, gateway: rate('gw_v2_down'), baseline: rate('direct_down'), baselineName: 'Glance GET /file' }));
    rows.push(makeRow({ ...xfer, metric: `download ${sizeText} gateway GET /v1/images/{id}`, gateway: rate('gw_v1_down'), baseline: rate('direct_down'), baselineName: 'Glance GET /file' }));
    rows.push(makeRow({ section: 'upstream', metric: 'gateway RSS growth during transfers', unit: 'MB', gateway: (peak - idle) / MB, target: { on: 'gateway', op: '<', value: 64 } }));
  } finally {
    await pool.close();
    await gw?.dispose();
    glanceSh('stop', glanceEnv);
    unregister();
  }
  return { rows, data };
}
