/** The parent side of bench/lib/cannon.mjs: spawn one load run and parse its JSON line. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { trackChild } from './cleanup.mjs';
import { ROOT } from './procs.mjs';

const SCRIPT = path.join(ROOT, 'bench', 'lib', 'cannon.mjs');

/** Runs autocannon with `spec` (see cannon.mjs) in a child process; resolves with its result. */
export function cannon(spec) {
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn(process.execPath, [SCRIPT, JSON.stringify(spec)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err = (err + d).slice(-4096)));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) return reject(new Error(`cannon exited ${code}: ${err}`));
      const result = JSON.parse(line);
      if (result.ok === 0) return reject(new Error(`cannon: no 2xx responses for ${spec.path}: ${line}`));
      resolve(result);
    });
  });
}
