/**
 * Part 1, upload: PUT /v2/images/{id}/file of the random file through the gateway, against
 * (a) the bare node pipe-to-file-and-fsync server and (b) md5sum and sha512sum of the same
 * file. The four are interleaved per repetition so machine noise hits them alike; the table
 * uses medians. Each gateway upload's digests are checked against the coreutils ones.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { jsonOk, putBody } from '../lib/http.mjs';
import { timeTool } from '../lib/hash-tools.mjs';
import { startBaseline, startGateway, threadCpu, threadCpuDelta } from '../lib/procs.mjs';
import { tempDir } from '../lib/cleanup.mjs';
import { foreignLoad } from '../lib/machine.mjs';
import { makeRow } from '../lib/report.mjs';
import { median, ratio, summarizeRates } from '../lib/stats.mjs';

/** Creates a raw/bare image and returns its id. */
export async function createImage(gwUrl, name) {
  const r = await jsonOk(`${gwUrl}/v2/images`, 'POST', { name, disk_format: 'raw', container_format: 'bare' }, [201]);
  return r.body.id;
}

/** Flushes dirty pages so one run's writeback does not land in the next run's fsync. */
export function syncDisks() {
  spawnSync('sync');
}

export async function runUpload({ file, size, reps, log }) {
  const gw = await startGateway();
  const bare = await startBaseline('bytes-server.mjs', { BENCH_UPLOAD_DIR: await tempDir('pipe') });
  const t = { gateway: [], bare: [], md5sum: [], sha512sum: [] };
  const extra = {
    // Cores kept busy by processes not ours during each measurement (machine noise).
    others_cores: { gateway: [], bare: [], md5sum: [], sha512sum: [] },
    gateway_cpu_s: [],
    bare_cpu_s: [], bare_fsync_ms: [], bare_body_ms: [], md5sum_cpu_s: [], sha512sum_cpu_s: [] };
  let digests = null;
  try {
    for (let rep = 1; rep <= reps; rep++) {
      let w = foreignLoad();
      const md5 = await timeTool('md5sum', file);
      extra.others_cores.md5sum.push(w.end(md5.cpu_s ?? 0));
      w = foreignLoad();
      const sha = await timeTool('sha512sum', file);
      extra.others_cores.sha512sum.push(w.end(sha.cpu_s ?? 0));
      t.md5sum.push(md5.ms);
      t.sha512sum.push(sha.ms);
      extra.md5sum_cpu_s.push(md5.cpu_s);
      extra.sha512sum_cpu_s.push(sha.cpu_s);
      digests = { md5: md5.digest, sha512: sha.digest };

      const id = await createImage(gw.url, `bench-upload-${rep}`);
      syncDisks();
      w = foreignLoad();
      const cpu0 = threadCpu(gw.pid);
      const client0 = process.cpuUsage();
      const g = await putBody(`${gw.url}/v2/images/${id}/file`, file);
      const cpu = { ...threadCpuDelta(gw.pid, cpu0, threadCpu(gw.pid)), client: cpuSeconds(process.cpuUsage(client0)) };
      extra.others_cores.gateway.push(w.end(cpu.total + cpu.client));
      t.gateway.push(g.ms);
      extra.gateway_cpu_s.push(cpu);
      const shown = (await jsonOk(`${gw.url}/v2/images/${id}`, 'GET')).body;
      if (shown.status !== 'active' || shown.size !== size || shown.checksum !== md5.digest || shown.os_hash_value !== sha.digest) {
        throw new Error(`gateway upload ${id} wrong: ${JSON.stringify({ status: shown.status, size: shown.size, checksum: shown.checksum })}`);
      }
      await jsonOk(`${gw.url}/v2/images/${id}`, 'DELETE', undefined, [204]);

      syncDisks();
      w = foreignLoad();
      const bareCpu0 = threadCpu(bare.pid);
      const bareClient0 = process.cpuUsage();
      const b = await putBody(`${bare.url}/upload`, file);
      const bareCpu = { ...threadCpuDelta(bare.pid, bareCpu0, threadCpu(bare.pid)), client: cpuSeconds(process.cpuUsage(bareClient0)) };
      extra.others_cores.bare.push(w.end(bareCpu.total + bareCpu.client));
      extra.bare_cpu_s.push(bareCpu);
      t.bare.push(b.ms);
      extra.bare_fsync_ms.push(Number(b.headers['x-bench-fsync-ms']));
      extra.bare_body_ms.push(Number(b.headers['x-bench-body-ms']));
      log(
        `  upload rep ${rep}/${reps}: gateway ${fmt(size, g.ms)} (cpu s: main ${cpu.main}, worker ${cpu.busiest_other}, ` +
          `rest ${cpu.rest}, client ${cpu.client}), bare pipe ${fmt(size, b.ms)}, md5sum ${fmt(size, md5.ms)}, sha512sum ${fmt(size, sha.ms)}; ` +
          `other load (cores, gw/bare/md5/sha) ${Object.values(extra.others_cores).map((v) => v.at(-1)).join('/')}`,
      );
    }
  } finally {
    await Promise.all([gw.dispose(), bare.dispose()]);
  }

  const s = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, summarizeRates(size, v)]));
  const hashFloor = Math.min(s.md5sum.median_mbps, s.sha512sum.median_mbps);
  const hashFloorName = s.md5sum.median_mbps <= s.sha512sum.median_mbps ? 'md5sum' : 'sha512sum';
  const sizeText = `${Math.round(size / 2 ** 20)} MiB`;
  const noise = (k) => [median(extra.others_cores.gateway), median(extra.others_cores[k])];
  const row = (baseline, baselineName, key, target) =>
    makeRow({ section: 'upload', metric: `PUT /file ${sizeText}`, unit: 'MB/s', gateway: s.gateway.median_mbps, baseline, baselineName, target, noise: noise(key) });
  const rows = [
    row(s.md5sum.median_mbps, 'md5sum', 'md5sum'),
    row(s.sha512sum.median_mbps, 'sha512sum', 'sha512sum'),
    row(hashFloor, `min(md5sum, sha512sum) = ${hashFloorName}`, hashFloorName, { on: 'ratio', op: '>=', value: 0.8 }),
    row(s.bare.median_mbps, 'bare node pipe + fsync', 'bare'),
  ];
  return {
    rows,
    data: {
      size_bytes: size,
      reps,
      rates: s,
      digests,
      // CPU seconds per upload, by thread, and of the bench's own client process.
      gateway_cpu_s_per_upload: medianBy(extra.gateway_cpu_s),
      bare_cpu_s_per_upload: medianBy(extra.bare_cpu_s),
      // The fastest each could go if its server + client CPU were spread perfectly over every core.
      cpu_bound_mbps: {
        gateway: cpuBound(size, medianBy(extra.gateway_cpu_s)),
        bare: cpuBound(size, medianBy(extra.bare_cpu_s)),
      },
      extra,
      ratio_vs_min_hash: ratio(s.gateway.median_mbps, hashFloor),
      ratio_vs_bare_pipe: ratio(s.gateway.median_mbps, s.bare.median_mbps),
    },
  };
}

function cpuSeconds(usage) {
  return Math.round((usage.user + usage.system) / 1e4) / 100;
}

function cpuBound(size, cpu) {
  return size / 1e6 / ((cpu.total + cpu.client) / availableParallelism());
}

/** Per-field median of { total, main, busiest_other, rest } readings. */
function medianBy(readings) {
  return Object.fromEntries(Object.keys(readings[0] ?? {}).map((k) => [k, median(readings.map((r) => r[k]))]));
}

function fmt(size, ms) {
  return `${((size / 1e6) / (ms / 1000)).toFixed(0)} MB/s`;
}
