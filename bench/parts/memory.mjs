/**
 * Part 4, memory: peak RSS of the gateway while a big generated image (default 4 GiB) streams in
 * through PUT /file and back out through GET /file. The peak is VmHWM from /proc/<pid>/status
 * (the kernel's high-water mark, so no spike between samples is missed); VmRSS is also sampled
 * every 50 ms to show when it peaks. The bare node pipe server doing the same upload + download
 * gives the floor a plain node process needs.
 */
import { statfs } from 'node:fs/promises';
import { tempDir } from '../lib/cleanup.mjs';
import { getDiscard, putBody } from '../lib/http.mjs';
import { generatedStream } from '../lib/payload.mjs';
import { procMemory, sampleRss, sleep, startBaseline, startGateway } from '../lib/procs.mjs';
import { makeRow } from '../lib/report.mjs';
import { mbPerSec } from '../lib/stats.mjs';
import { createImage } from './upload.mjs';

const MB = 1e6;
const TARGET_MB = 150;

/** Refuses to start when the temp file system cannot hold the image plus a margin. */
async function checkSpace(dir, bytes) {
  const s = await statfs(dir);
  const free = s.bavail * s.bsize;
  if (free < bytes * 1.1 + 512 * MB) {
    throw new Error(`memory part needs ${(bytes / 2 ** 30).toFixed(1)} GiB free in ${dir}; only ${(free / 2 ** 30).toFixed(1)} GiB`);
  }
  return free;
}

/** Uploads then downloads `bytes` through the server `pid`; returns peak memory and the rates. */
async function inAndOut(pid, putUrl, getUrl, bytes) {
  await sleep(500); // let start-up garbage settle before reading the idle figure
  const idle = procMemory(pid);
  const sampler = sampleRss(pid);
  let up;
  let afterUpload;
  let down;
  let sampledMax;
  try {
    up = await putBody(putUrl, { stream: generatedStream(bytes), size: bytes });
    afterUpload = procMemory(pid);
    down = await getDiscard(getUrl);
  } finally {
    sampledMax = sampler.stop();
  }
  const end = procMemory(pid);
  if (down.bytes !== bytes) throw new Error(`downloaded ${down.bytes} of ${bytes} bytes`);
  return {
    idle_rss: idle.rss,
    hwm_after_upload: afterUpload.hwm,
    hwm: end.hwm,
    sampled_max_rss: sampledMax,
    rss_at_end: end.rss,
    upload_mbps: mbPerSec(bytes, up.ms),
    download_mbps: mbPerSec(bytes, down.ms),
  };
}

export async function runMemory({ memSize, log }) {
  const data = { size_bytes: memSize };
  const gw = await startGateway();
  try {
    data.free_bytes_before = await checkSpace(gw.dataDir, memSize);
    const id = await createImage(gw.url, 'bench-memory');
    const url = `${gw.url}/v2/images/${id}/file`;
    data.gateway = await inAndOut(gw.pid, url, url, memSize);
  } finally {
    await gw.dispose(); // also deletes the GiBs it stored
  }
  const g = data.gateway;
  log(`  gateway: idle ${mb(g.idle_rss)}, VmHWM ${mb(g.hwm)} (after upload ${mb(g.hwm_after_upload)}), in ${g.upload_mbps.toFixed(0)} MB/s, out ${g.download_mbps.toFixed(0)} MB/s`);

  const bare = await startBaseline('bytes-server.mjs', { BENCH_UPLOAD_DIR: await tempDir('mem-pipe'), BENCH_KEEP_UPLOAD: '1' });
  try {
    data.bare = await inAndOut(bare.pid, `${bare.url}/upload`, `${bare.url}/file`, memSize);
  } finally {
    await bare.dispose();
  }
  const b = data.bare;
  log(`  bare node: idle ${mb(b.idle_rss)}, VmHWM ${mb(b.hwm)}`);

  const size = `${(memSize / 2 ** 30).toFixed(memSize % 2 ** 30 === 0 ? 0 : 2)} GiB`;
  const row = (metric, gateway, baseline, target) =>
    makeRow({ section: 'memory', metric, unit: 'MB', gateway: gateway / MB, baseline: baseline / MB, baselineName: 'bare node pipe server', target });
  return {
    rows: [
      row(`peak RSS (VmHWM), ${size} in + out`, g.hwm, b.hwm, { on: 'gateway', op: '<', value: TARGET_MB }),
      row('RSS idle before the transfer', g.idle_rss, b.idle_rss),
      row(`peak RSS after the upload only`, g.hwm_after_upload, b.hwm_after_upload),
    ],
    data,
  };
}

function mb(bytes) {
  return `${(bytes / MB).toFixed(1)} MB`;
}
