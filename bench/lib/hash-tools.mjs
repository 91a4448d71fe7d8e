/**
 * The single-core hashing references: coreutils md5sum and sha512sum over the same file, each
 * timed on its own. Wall clock is what counts; the CPU seconds (from /usr/bin/time when present)
 * tell real hashing cost apart from time lost to other load on the machine.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { trackChild } from './cleanup.mjs';

const TIME = '/usr/bin/time';
const MARK = 'BENCHCPU';

/** Runs `tool file`; resolves with { ms, cpu_s (or null), digest }. */
export function timeTool(tool, file) {
  const timed = existsSync(TIME);
  const [cmd, args] = timed ? [TIME, ['-f', `${MARK} %U %S`, tool, file]] : [tool, [file]];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = trackChild(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`${tool} exited ${code}: ${err}`));
      const m = new RegExp(`${MARK} ([\\d.]+) ([\\d.]+)`).exec(err);
      resolve({ ms, cpu_s: m === null ? null : Number(m[1]) + Number(m[2]), digest: out.split(/\s+/)[0] });
    });
  });
}
