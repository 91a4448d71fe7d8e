/**
 * Result rows, the printed table and the JSON result file. A row compares one gateway figure
 * with one baseline figure (ratio = gateway / baseline) and may carry a target, checked either
 * on the ratio or on the gateway's absolute value.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './procs.mjs';
import { ratio } from './stats.mjs';

/**
 * target: { on: 'ratio' | 'gateway', op: '>=' | '<', value } or undefined.
 * For "higher is better" figures (MB/s, req/s) a ratio > 1 favours the gateway; for latencies
 * and memory a ratio > 1 means the gateway is slower / bigger.
 */
export function makeRow({ section, metric, unit, gateway, baseline = null, baselineName = '', target, noise = null }) {
  const r = ratio(gateway, baseline);
  let pass = null;
  let targetText = '';
  if (target !== undefined) {
    const subject = target.on === 'ratio' ? r : gateway;
    targetText = `${target.on === 'ratio' ? 'ratio' : ''} ${target.op} ${target.value}${target.on === 'ratio' ? '' : ` ${unit}`}`.trim();
    if (subject != null) pass = target.op === '>=' ? subject >= target.value : subject < target.value;
  }
  // noise: [gateway run, baseline run] cores busy with processes not ours (see lib/machine.mjs).
  return { section, metric, unit, gateway, baseline, baseline_name: baselineName, ratio: r, target: targetText, pass, noise };
}

function num(x, unit) {
  if (x == null) return '';
  if (unit === 'ms') return x < 10 ? x.toFixed(2) : x.toFixed(1);
  if (unit === 'ratio') return x.toFixed(2);
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

/**
 * The side-by-side table as text. The last column is how many of the machine's cores other
 * processes kept busy during the gateway's and the baseline's measurement: near 0 is a clean
 * figure, near the core count means the figure mostly measures someone else's load.
 */
export function formatTable(rows) {
  const header = ['part', 'metric', 'gateway', 'baseline', 'baseline is', 'ratio gw/base', 'target', 'ok', 'other load gw/base'];
  const lines = rows.map((r) => [
    r.section,
    r.metric,
    `${num(r.gateway, r.unit)} ${r.unit}`,
    r.baseline == null ? '' : `${num(r.baseline, r.unit)} ${r.unit}`,
    r.baseline_name,
    r.ratio == null ? '' : r.ratio.toFixed(2),
    r.target,
    r.pass === null ? '' : r.pass ? 'yes' : 'NO',
    r.noise === null ? '' : r.noise.map((x) => (x == null ? '-' : x.toFixed(2))).join(' / '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => cells.map((c, i) => (i >= 2 && i <= 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ');
  const sep = widths.map((w) => '-'.repeat(w)).join('-|-');
  return [fmt(header), sep, ...lines.map(fmt)].join('\n');
}

/** Writes bench/results/bench-<timestamp>.json and returns its path. */
export function writeResults(result) {
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `bench-${stamp}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  return file;
}
