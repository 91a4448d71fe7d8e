/**
 * Part 5, v1: the translation's cost, measured against the v2 path in the same run.
 * - HEAD /v1/images/{id} vs GET /v2/images/{id} (autocannon, same image, same gateway, three
 *   interleaved rounds, the median-rate round of each reported), at each
 *   connection count: requests/s and p99. Target: HEAD ≥ 1.0× v2 show.
 * - v1 upload (POST /v1/images with the data) vs v2 upload (POST + PUT /file), and v1 download
 *   (GET /v1/images/{id}) vs v2 download (GET /file) of the same file, interleaved per
 *   repetition in alternating order, downloads from a warm page cache. Target ≥ 0.95×.
 */
import { createReadStream, statSync } from 'node:fs';
import { request } from 'undici';
import { cannon } from '../lib/cannon-client.mjs';
import { getDiscard, jsonOk, putBody } from '../lib/http.mjs';
import { foreignLoad } from '../lib/machine.mjs';
import { startGateway, threadCpu, threadCpuDelta } from '../lib/procs.mjs';
import { makeRow } from '../lib/report.mjs';
import { median, medianRun, summarizeRates } from '../lib/stats.mjs';
import { createImage, syncDisks } from './upload.mjs';

const ROUNDS = 3;

/** POST /v1/images with the file as the body; resolves with { ms, id }. */
async function postV1(gwUrl, file, name) {
  const size = statSync(file).size;
  const started = process.hrtime.bigint();
  const { statusCode, body } = await request(`${gwUrl}/v1/images`, {
    method: 'POST',
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(size),
      'x-image-meta-name': name,
      'x-image-meta-disk_format': 'raw',
      'x-image-meta-container_format': 'bare',
    },
    body: createReadStream(file, { highWaterMark: 1024 * 1024 }),
  });
  const text = await body.text();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (statusCode !== 201) throw new Error(`POST /v1/images -> ${statusCode}: ${text.slice(0, 300)}`);
  return { ms, id: JSON.parse(text).image.id };
}

export async function runV1({ file, size, reps, connections, duration, warmup, log }) {
  const gw = await startGateway();
  const rows = [];
  const data = { runs: [], transfers: { v1_up: [], v2_up: [], v1_down: [], v2_down: [] } };
  try {
    const id = await createImage(gw.url, 'bench-head');
    for (const c of connections) {
      const run = async (label, path, method) => {
        const w = foreignLoad();
        const cpu0 = threadCpu(gw.pid);
        const r = await cannon({ url: gw.url, path, method, connections: c, duration, warmup });
        const serverCpu = threadCpuDelta(gw.pid, cpu0, threadCpu(gw.pid)).total;
        const others = w.end(r.cpu_s + serverCpu);
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${label}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        // CPU per request is the steadier measure of the translation's cost on a noisy VM.
        const cpuUs = (serverCpu / (r.requests + r.warmup_requests)) * 1e6;
        data.runs.push({ label, connections: c, ...r, others_cores: others, server_cpu_us_per_req: cpuUs });
        log(`  ${label.padEnd(24)} c=${String(c).padEnd(3)} ${r.rps.toFixed(0).padStart(6)} req/s  p99 ${r.latency_ms.p99.toFixed(2)} ms  (${cpuUs.toFixed(0)} µs cpu/req)`);
        return { ...r, others, cpuUs };
      };
      // Interleaved rounds, medians: on a noisy 2-vCPU VM one long run each drifts apart.
      const v2runs = [];
      const v1runs = [];
      for (let round = 0; round < ROUNDS; round++) {
        v2runs.push(await run('GET /v2/images/{id}', `/v2/images/${id}`, 'GET'));
        v1runs.push(await run('HEAD /v1/images/{id}', `/v1/images/${id}`, 'HEAD'));
      }
      const v2 = medianRun(v2runs);
      const v1 = medianRun(v1runs);
      const noise = [v1.others, v2.others];
      const common = { section: 'v1', baselineName: 'GET /v2/images/{id}', noise };
      rows.push(makeRow({ ...common, metric: `HEAD /v1/images/{id} c=${c} req/s`, unit: 'req/s', gateway: v1.rps, baseline: v2.rps, target: { on: 'ratio', op: '>=', value: 1.0 } }));
      rows.push(makeRow({ ...common, metric: `HEAD /v1/images/{id} c=${c} p99`, unit: 'ms', gateway: v1.latency_ms.p99, baseline: v2.latency_ms.p99 }));
      rows.push(makeRow({ ...common, metric: `HEAD /v1/images/{id} c=${c} server CPU/req`, unit: 'µs', gateway: v1.cpuUs, baseline: v2.cpuUs }));
    }

    for (let rep = 1; rep <= reps; rep++) {
      // The order alternates per repetition, and both images are read once before the measured
      // downloads: on this VM the older of two fresh files is often already out of the page cache.
      const v1First = rep % 2 === 1;
      let up1;
      let v2id;
      let up2ms;
      const uploadV1 = async () => {
        syncDisks();
        up1 = await postV1(gw.url, file, `bench-v1-${rep}`);
      };
      const uploadV2 = async () => {
        syncDisks();
        v2id = await createImage(gw.url, `bench-v2-${rep}`);
        const t0 = process.hrtime.bigint();
        await putBody(`${gw.url}/v2/images/${v2id}/file`, file);
        up2ms = Number(process.hrtime.bigint() - t0) / 1e6;
      };
      for (const step of v1First ? [uploadV1, uploadV2] : [uploadV2, uploadV1]) await step();
      const v1Url = `${gw.url}/v1/images/${up1.id}`;
      const v2Url = `${gw.url}/v2/images/${v2id}/file`;
      await getDiscard(v1Url);
      await getDiscard(v2Url);
      let down1;
      let down2;
      if (v1First) {
        down1 = await getDiscard(v1Url);
        down2 = await getDiscard(v2Url);
      } else {
        down2 = await getDiscard(v2Url);
        down1 = await getDiscard(v1Url);
      }
      const shown = (await jsonOk(`${gw.url}/v2/images/${up1.id}`, 'GET')).body;
      if (shown.status !== 'active' || shown.size !== size) throw new Error(`v1 upload ${up1.id} wrong: ${shown.status} ${shown.size}`);
      data.transfers.v1_up.push(up1.ms);
      data.transfers.v2_up.push(up2ms);
      data.transfers.v1_down.push(down1.ms);
      data.transfers.v2_down.push(down2.ms);
      log(`  v1 rep ${rep}/${reps}: upload v1 ${(size / up1.ms / 1e3).toFixed(0)} MB/s vs v2 ${(size / up2ms / 1e3).toFixed(0)}; download v1 ${(size / down1.ms / 1e3).toFixed(0)} vs v2 ${(size / down2.ms / 1e3).toFixed(0)} MB/s`);
      for (const i of [up1.id, v2id]) await jsonOk(`${gw.url}/v2/images/${i}`, 'DELETE', undefined, [204]);
    }
    const rate = (k) => summarizeRates(size, data.transfers[k]).median_mbps;
    const sizeText = `${Math.round(size / 2 ** 20)} MiB`;
    rows.push(makeRow({ section: 'v1', metric: `upload ${sizeText} POST /v1/images`, unit: 'MB/s', gateway: rate('v1_up'), baseline: rate('v2_up'), baselineName: 'v2 PUT /file', target: { on: 'ratio', op: '>=', value: 0.95 } }));
    rows.push(makeRow({ section: 'v1', metric: `download ${sizeText} GET /v1/images/{id}`, unit: 'MB/s', gateway: rate('v1_down'), baseline: rate('v2_down'), baselineName: 'v2 GET /file', target: { on: 'ratio', op: '>=', value: 0.95 } }));
    data.median_ms = Object.fromEntries(Object.entries(data.transfers).map(([k, v]) => [k, median(v)]));
  } finally {
    await gw.dispose();
  }
  return { rows, data };
}
