/**
 * Runs ONE autocannon load in its own process, so the load generator never shares an event loop
 * (or a core's time slice accounting) with the server. Usage (as the parent does):
 *
 *   node bench/lib/cannon.mjs '<json spec>'
 *
 * spec: { url, path, connections, duration (s) | amount, warmup (s), method, body, headers,
 *         idsFile (optional: one image id per line; each request then shows a random one) }
 *
 * Prints one JSON line: requests/s, exact latency percentiles (µs resolution, from every 2xx
 * response's own timing — autocannon's histogram rounds to whole ms) and error counts.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const spec = JSON.parse(process.argv[2]);

function run(opts, collect) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    if (collect) {
      instance.on('response', (_client, status, _bytes, responseTime) => {
        if (status >= 200 && status < 300) collect.push(responseTime);
      });
    }
  });
}

function exactPercentiles(values) {
  const v = Float64Array.from(values).sort();
  const at = (p) => (v.length === 0 ? null : v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]);
  let sum = 0;
  for (const x of v) sum += x;
  return { p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: at(100), mean: v.length ? sum / v.length : null };
}

const base = {
  url: spec.url + spec.path,
  connections: spec.connections,
  pipelining: 1,
  method: spec.method ?? 'GET',
  headers: spec.headers ?? {},
  ...(spec.body !== undefined ? { body: spec.body } : {}),
};
if (spec.idsFile) {
  const ids = readFileSync(spec.idsFile, 'utf8').split('\n').filter(Boolean);
  base.requests = [{ setupRequest: (req) => ({ ...req, path: `/v2/images/${ids[(Math.random() * ids.length) | 0]}` }) }];
}

const warm = spec.warmup > 0 ? await run({ ...base, duration: spec.warmup }) : null;

const latencies = [];
const started = performance.now();
const r = await run(spec.amount !== undefined ? { ...base, amount: spec.amount } : { ...base, duration: spec.duration }, latencies);
const elapsedS = (performance.now() - started) / 1000;

const ok = r['2xx'];
process.stdout.write(
  JSON.stringify({
    requests: r.requests.total,
    warmup_requests: warm === null ? 0 : warm.requests.total,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    elapsed_s: elapsedS,
    // 2xx per second over the whole run (for `amount` runs, that is the completion rate).
    rps: ok / elapsedS,
    autocannon_rps_mean: r.requests.average,
    autocannon_latency_ms: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
    latency_ms: exactPercentiles(latencies),
    body_bytes_per_s: r.throughput.average,
    status_codes: r.statusCodeStats,
    // This load generator's own CPU seconds (warm-up included), to tell our load from others'.
    cpu_s: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  }) + '\n',
);
