/**
 * Part 2, download: GET /v2/images/{id}/file of the uploaded random file through the gateway,
 * against a bare node server streaming the same file with fs.createReadStream. The client reads
 * as fast as it can and discards. One untimed warm-up read each (page cache), then interleaved
 * repetitions; the table uses medians.
 */
import { getDiscard, putBody } from '../lib/http.mjs';
import { startBaseline, startGateway, threadCpu, threadCpuDelta } from '../lib/procs.mjs';
import { foreignLoad } from '../lib/machine.mjs';
import { makeRow } from '../lib/report.mjs';
import { median, ratio, summarizeRates } from '../lib/stats.mjs';
import { createImage } from './upload.mjs';

export async function runDownload({ file, size, reps, log }) {
  const gw = await startGateway();
  const bare = await startBaseline('bytes-server.mjs', { BENCH_FILE: file });
  const t = { gateway: [], bare: [] };
  const cpu = { gateway: [], bare: [] };
  const others = { gateway: [], bare: [] }; // cores busy with processes not ours, per run
  try {
    const id = await createImage(gw.url, 'bench-download');
    await putBody(`${gw.url}/v2/images/${id}/file`, file);
    const targets = { gateway: [gw, `${gw.url}/v2/images/${id}/file`], bare: [bare, `${bare.url}/file`] };
    for (const [, url] of Object.values(targets)) await getDiscard(url); // warm-up
    for (let rep = 1; rep <= reps; rep++) {
      for (const [name, [proc, url]] of Object.entries(targets)) {
        const w = foreignLoad();
        const c0 = threadCpu(proc.pid);
        const client0 = process.cpuUsage();
        const r = await getDiscard(url);
        const c = threadCpuDelta(proc.pid, c0, threadCpu(proc.pid));
        const client = process.cpuUsage(client0);
        others[name].push(w.end(c.total + (client.user + client.system) / 1e6));
        if (r.bytes !== size) throw new Error(`${name} download: ${r.bytes} bytes, expected ${size}`);
        t[name].push(r.ms);
        cpu[name].push(c.total);
      }
      log(
        `  download rep ${rep}/${reps}: gateway ${rate(size, t.gateway.at(-1))}, bare createReadStream ${rate(size, t.bare.at(-1))}; ` +
          `other load (cores) ${others.gateway.at(-1)}/${others.bare.at(-1)}`,
      );
    }
  } finally {
    await Promise.all([gw.dispose(), bare.dispose()]);
  }
  const s = { gateway: summarizeRates(size, t.gateway), bare: summarizeRates(size, t.bare) };
  return {
    rows: [
      makeRow({
        section: 'download',
        metric: `GET /file ${Math.round(size / 2 ** 20)} MiB`,
        unit: 'MB/s',
        gateway: s.gateway.median_mbps,
        baseline: s.bare.median_mbps,
        baselineName: 'bare node createReadStream',
        target: { on: 'ratio', op: '>=', value: 0.8 },
        noise: [median(others.gateway), median(others.bare)],
      }),
    ],
    data: {
      size_bytes: size,
      reps,
      rates: s,
      server_cpu_s_per_download: { gateway: median(cpu.gateway), bare: median(cpu.bare) },
      others_cores: others,
      ratio: ratio(s.gateway.median_mbps, s.bare.median_mbps),
    },
  };
}

function rate(size, ms) {
  return `${(size / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
}
