/**
 * The bare-Node baseline for image bytes: what plain node:http + fs does with no framework, no
 * hashing and no database, at the gateway's durability.
 *
 *   PUT /upload  pipes the body into a new file under BENCH_UPLOAD_DIR, fsyncs it, closes it,
 *                answers 204 with `x-bench-fsync-ms` (time spent in fsync) and
 *                `x-bench-body-ms` (first to last body byte written).
 *   GET /file    streams BENCH_FILE with fs.createReadStream (default 64 KiB reads); without
 *                BENCH_FILE, the last upload (kept when BENCH_KEEP_UPLOAD=1).
 *   GET /ready   200 once listening.
 *
 * Env: BENCH_PORT, BENCH_UPLOAD_DIR, BENCH_FILE, BENCH_KEEP_UPLOAD.
 */
import fs from 'node:fs';
import { unlink } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

const port = Number(process.env.BENCH_PORT);
const uploadDir = process.env.BENCH_UPLOAD_DIR;
const keep = process.env.BENCH_KEEP_UPLOAD === '1';
let file = process.env.BENCH_FILE;
let seq = 0;

async function upload(req, res) {
  const target = path.join(uploadDir, `upload-${process.pid}-${seq++}`);
  // A plain fd (as the gateway uses): FileHandle.close() would wait forever on a stream made
  // with fh.createWriteStream({ autoClose: false }).
  const fd = await promisify(fs.open)(target, 'wx');
  const t0 = performance.now();
  let t1;
  let t2;
  try {
    await pipeline(req, fs.createWriteStream('', { fd, autoClose: false }));
    t1 = performance.now();
    await promisify(fs.fsync)(fd);
    t2 = performance.now();
  } catch (err) {
    await unlink(target).catch(() => undefined);
    throw err;
  } finally {
    await promisify(fs.close)(fd);
  }
  // Only the durable write is measured; keep the disk free for the next run.
  if (keep) {
    if (file !== undefined && file !== process.env.BENCH_FILE) await unlink(file).catch(() => undefined);
    file = target;
  } else await unlink(target).catch(() => undefined);
  res.writeHead(204, { 'x-bench-body-ms': (t1 - t0).toFixed(1), 'x-bench-fsync-ms': (t2 - t1).toFixed(1) });
  res.end();
}

function download(req, res) {
  const size = fs.statSync(file).size;
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  pipeline(fs.createReadStream(file), res).catch(() => res.destroy());
}

const server = http.createServer((req, res) => {
  const route = `${req.method} ${req.url}`;
  if (route === 'GET /ready') return res.end('ok');
  if (route === 'PUT /upload' && uploadDir) {
    return upload(req, res).catch((err) => {
      res.writeHead(500).end(String(err));
    });
  }
  if (route === 'GET /file' && file !== undefined) return download(req, res);
  res.writeHead(404).end();
});
server.requestTimeout = 0;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
