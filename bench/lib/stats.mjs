/** Small numeric helpers shared by the parts and the report. */

export const MiB = 1024 * 1024;
export const MB = 1e6;

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Exact percentile (nearest rank) of an unsorted numeric array; p in [0, 100]. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const v = Float64Array.from(values).sort();
  const rank = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
  return v[rank];
}

/** Decimal MB per second (as md5sum/dd users read it). */
export function mbPerSec(bytes, ms) {
  return bytes / MB / (ms / 1000);
}

export function ratio(a, b) {
  return a == null || b == null || b === 0 ? null : a / b;
}

/** Summary of repeated throughput runs: every rate, the median and the best. */
export function summarizeRates(bytes, timesMs) {
  const rates = timesMs.map((ms) => mbPerSec(bytes, ms));
  return { runs_ms: timesMs.map((x) => round(x, 1)), runs_mbps: rates.map((x) => round(x, 1)), median_mbps: median(rates), best_mbps: Math.max(...rates) };
}

export function round(x, digits = 2) {
  if (x == null || !Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Of repeated load runs, the one with the median requests/s. */
export function medianRun(runs) {
  return [...runs].sort((x, y) => x.rps - y.rps)[Math.floor(runs.length / 2)];
}
