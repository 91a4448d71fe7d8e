/**
 * What to run, from argv (part names) and BENCH_* environment variables:
 *
 *   npm run bench [-- upload download meta memory v1 auth tasks upstream]   parts (default: all eight)
 *   BENCH_SIZE_MB=1024         upload/download/tasks image size in MiB
 *   BENCH_MEMORY_MB=4096       memory-part image size in MiB (default 4 x BENCH_SIZE_MB when
 *                              that is set, else 4096)
 *   BENCH_REPEAT=3             repetitions of each upload/download measurement (median shown)
 *   BENCH_IMAGES=100000        images seeded for the metadata part
 *   BENCH_CONNECTIONS=16,32    autocannon connection counts
 *   BENCH_DURATION_S=10        seconds per autocannon run (after BENCH_WARMUP_S=2 of warm-up)
 *   BENCH_TMPDIR               where temp files go (default: the OS temp dir)
 *   BENCH_GATEWAY_NODE_ARGS    extra node flags for the gateway, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
 */
export const PARTS = ['upload', 'download', 'meta', 'memory', 'v1', 'auth', 'tasks', 'upstream'];
const MiB = 1024 * 1024;

function int(env, name, fallback, min = 1) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got '${raw}'`);
  return n;
}

export function loadConfig(argv, env) {
  const parts = argv.filter((a) => a !== '--');
  for (const p of parts) {
    if (!PARTS.includes(p)) throw new Error(`unknown part '${p}'; choose from: ${PARTS.join(' ')}`);
  }
  const sizeMiB = int(env, 'BENCH_SIZE_MB', 1024);
  const memMiB = int(env, 'BENCH_MEMORY_MB', env.BENCH_SIZE_MB ? 4 * sizeMiB : 4096);
  const connections = (env.BENCH_CONNECTIONS ?? '16,32').split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_CONNECTIONS: bad value '${s}'`);
    return n;
  });
  return {
    parts: parts.length === 0 ? PARTS : PARTS.filter((p) => parts.includes(p)),
    size: sizeMiB * MiB,
    memSize: memMiB * MiB,
    reps: int(env, 'BENCH_REPEAT', 3),
    images: int(env, 'BENCH_IMAGES', 100_000),
    connections,
    duration: int(env, 'BENCH_DURATION_S', 10),
    warmup: int(env, 'BENCH_WARMUP_S', 2, 0),
  };
}
