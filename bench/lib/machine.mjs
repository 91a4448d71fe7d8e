/**
 * How busy the machine is with work that is not ours: every figure in the table shares two
 * cores with whatever else runs, so each part records the background load just before it starts.
 */
import { readFileSync } from 'node:fs';
import { sleep } from './procs.mjs';

/** Busy and total jiffies of all CPUs since boot (/proc/stat "cpu" line). */
function cpuTimes() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0); // idle + iowait
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total, steal: v[7] ?? 0 };
}

/**
 * Cores kept busy by others over `ms` while the bench itself is idle (no server of ours is
 * loaded then), and the hypervisor's steal share.
 */
export async function backgroundLoad(ms = 1000) {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  const total = b.total - a.total;
  const cores = total === 0 ? 0 : ((b.busy - a.busy) / total) * (readFileSync('/proc/stat', 'utf8').match(/^cpu\d+/gm)?.length ?? 1);
  return { busy_cores: Math.round(cores * 100) / 100, steal_share: total === 0 ? 0 : Math.round(((b.steal - a.steal) / total) * 1000) / 1000 };
}

/** Starts a measurement window; end(oursCpuSeconds) tells how many cores others kept busy. */
export function foreignLoad() {
  const a = cpuTimes();
  const t0 = performance.now();
  return {
    /** `ours`: CPU seconds our server(s) and client used in the window. */
    end(ours) {
      const b = cpuTimes();
      const wallS = (performance.now() - t0) / 1000;
      const busyS = (b.busy - a.busy) / 100; // USER_HZ
      return Math.round((Math.max(0, busyS - ours) / wallS) * 100) / 100;
    },
  };
}
