import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { DEFAULT_CONFIG, type Config } from '../../src/config/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';

export interface Harness {
  gateway: Gateway;
  url: string;
  dataDir: string;
  /** Every log line the gateway wrote. */
  logs: string[];
  stop(): Promise<void>;
}

/** An in-process gateway on a free loopback port with a fresh data dir. */
export async function startHarness(overrides: Partial<Config> = {}): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gg-test-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      cb();
    },
  });
  const config: Config = { ...DEFAULT_CONFIG, port: 0, dataDir, ...overrides, limits: { ...DEFAULT_CONFIG.limits, ...overrides.limits } };
  const gateway = await startGateway(config, pino({ level: 'info' }, sink));
  return {
    gateway,
    url: `http://127.0.0.1:${gateway.port}`,
    dataDir,
    logs,
    async stop() {
      await gateway.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function createImage(url: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/v2/images`, { method: 'POST', body: JSON.stringify(body), headers });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}
