/** `glance-gateway container ...` (src/cli/container.ts), in process and through dist/main.js. */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runContainerCli } from '../../src/cli/container.js';
import { DEFAULT_CONFIG, type Config } from '../../src/config/config.js';
import { ensureBuilt, MAIN, removeTempDirs, run, tempDir } from '../interop/gateway.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

function cli(config: Config, args: string[], stdin: Buffer = Buffer.alloc(0)) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  return runContainerCli(args, config, { stdin: Readable.from([stdin]), stdout, stderr }).then((code) => ({
    code,
    stdout: Buffer.concat(out),
    stderr: Buffer.concat(err).toString('utf8'),
  }));
}

let dataDir: string;
let config: Config;
beforeAll(() => {
  dataDir = tempDir('cli');
  config = { ...DEFAULT_CONFIG, dataDir, limits: { ...DEFAULT_CONFIG.limits, imageSizeCap: 50_000 }, containers: { projectQuota: 80_000 } };
});
afterAll(() => removeTempDirs());

describe('container CLI (in process)', () => {
  it('put from a file and stdin, list, get to stdout and a file, delete', async () => {
    const data = randomBytes(30_000);
    const file = join(dataDir, 'src.vhd');
    writeFileSync(file, data);
    const put = await cli(config, ['--project', 'p1', 'put', 'exports', 'my.vhd', file]);
    expect(put.code, put.stderr).toBe(0);
    expect(JSON.parse(put.stdout.toString())).toEqual({ name: 'exports/my.vhd', bytes: 30_000, md5: md5(data) });
    expect((await cli(config, ['--project=p1', 'put', 'exports', 'in.raw'], Buffer.from('from stdin'))).code).toBe(0);
    const list = await cli(config, ['--project', 'p1', 'list', 'exports']);
    expect(JSON.parse(list.stdout.toString()).map((o: { name: string; bytes: number }) => [o.name, o.bytes])).toEqual([['in.raw', 10], ['my.vhd', 30_000]]);
    expect(JSON.parse((await cli(config, ['--project', 'p1', 'list'])).stdout.toString())).toEqual([{ name: 'exports', count: 2, bytes: 30_010 }]);
    const get = await cli(config, ['--project', 'p1', 'get', 'exports', 'my.vhd']);
    expect(get.stdout.equals(data)).toBe(true);
    const target = join(dataDir, 'copy.vhd');
    expect((await cli(config, ['--project', 'p1', 'get', 'exports', 'my.vhd', target])).code).toBe(0);
    expect(readFileSync(target).equals(data)).toBe(true);
    // Other projects do not see it.
    const other = await cli(config, ['--project', 'p2', 'get', 'exports', 'my.vhd']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('Container exports not found.');
    expect((await cli(config, ['--project', 'p1', 'delete', 'exports'])).stderr).toContain('not empty');
    expect((await cli(config, ['--project', 'p1', 'delete', 'exports', 'my.vhd'])).code).toBe(0);
    expect((await cli(config, ['--project', 'p1', 'delete', 'exports', 'in.raw'])).code).toBe(0);
    expect((await cli(config, ['--project', 'p1', 'delete', 'exports'])).code).toBe(0);
  });

  it('refuses traversal and bad names, leaving nothing outside the area', async () => {
    for (const args of [
      ['put', '..', 'x'],
      ['put', 'ok', '../../escape'],
      ['put', 'ok', 'a/b'],
      ['get', '../containers', 'x'],
    ]) {
      const r = await cli(config, ['--project', 'p1', ...args], Buffer.from('evil'));
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/Invalid (container|object) name/);
    }
    const badProject = await cli(config, ['--project', '../p', 'list']);
    expect(badProject.code).toBe(1);
    expect(badProject.stderr).toContain('cannot own containers');
    expect(existsSync(join(dataDir, 'escape'))).toBe(false);
  });

  it('quota and size cap refuse, leaving no temp file', async () => {
    expect((await cli(config, ['--project', 'q', 'put', 'c', 'a'], randomBytes(45_000))).code).toBe(0);
    const cap = await cli(config, ['--project', 'q', 'put', 'c', 'big'], randomBytes(50_001));
    expect(cap.code).toBe(1);
    const quota = await cli(config, ['--project', 'q', 'put', 'c', 'b'], randomBytes(40_000));
    expect(quota.code).toBe(1);
    expect(quota.stderr).toContain('Container quota exceeded');
    expect(readdirSync(join(dataDir, 'containers', '.tmp'))).toEqual([]);
  });

  it('usage errors exit 2', async () => {
    expect((await cli(config, ['list'])).code).toBe(2);
    const r = await cli(config, ['--project', 'p', 'frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage: glance-gateway container');
  });
});

describe('container CLI (dist/main.js)', () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 300_000);

  it('put and get through the real binary with GLANCE_GATEWAY_DATA_DIR', async () => {
    const dir = tempDir('cli-bin');
    const env = { ...process.env, GLANCE_GATEWAY_DATA_DIR: dir };
    const data = randomBytes(100_000);
    const put = await run(process.execPath, [MAIN, 'container', '--project', 'proj', 'put', 'exports', 'img.raw', '-'], { env, input: data });
    expect(put.code, put.stderr).toBe(0);
    expect(JSON.parse(put.stdout).md5).toBe(md5(data));
    const list = await run(process.execPath, [MAIN, 'container', '--project', 'proj', 'list', 'exports'], { env });
    expect(JSON.parse(list.stdout)[0]).toMatchObject({ name: 'img.raw', bytes: 100_000 });
    const out = join(dir, 'out.raw');
    const get = await run(process.execPath, [MAIN, 'container', '--project', 'proj', 'get', 'exports', 'img.raw', out], { env });
    expect(get.code, get.stderr).toBe(0);
    expect(md5(readFileSync(out))).toBe(md5(data));
  }, 60_000);
});
