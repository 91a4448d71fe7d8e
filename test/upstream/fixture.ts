/**
 * An upstream-mode gateway in front of a second, embedded noauth gateway, both in-process on
 * free loopback ports. The embedded one plays the real Glance (same v2 contract).
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { DEFAULT_CONFIG, DEFAULT_UPSTREAM, type Config, type UpstreamConfig } from '../../src/config/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { startHarness, type Harness } from '../gateway/harness.js';

export interface UpstreamPair {
  upstream: Harness;
  front: Harness;
  /** Every request the front sent to the upstream, recorded as it arrived (`METHOD /path?query`). */
  seen: string[];
  /** The same requests with the headers the upstream received. */
  received: Array<{ line: string; headers: IncomingHttpHeaders }>;
  stop(): Promise<void>;
}

/** A transparent HTTP relay that records each request before forwarding it. */
async function startRecorder(target: string, seen: string[], received: UpstreamPair['received']): Promise<{ url: string; close(): Promise<void> }> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    received.push({ line: `${req.method} ${req.url}`, headers: req.headers });
    const out = httpRequest(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function upstreamConfig(url: string, overrides: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return { ...DEFAULT_UPSTREAM, url, ...overrides, tls: { ...DEFAULT_UPSTREAM.tls, ...overrides.tls } };
}

export async function startPair(options: { upstream?: Partial<Config>; front?: Partial<Config>; frontUpstream?: Partial<UpstreamConfig> } = {}): Promise<UpstreamPair> {
  const upstream = await startHarness({ logLevel: 'silent', ...options.upstream });
  const seen: string[] = [];
  const received: UpstreamPair['received'] = [];
  const recorder = await startRecorder(upstream.url, seen, received);
  const front = await startHarness({
    ...options.front,
    mode: 'upstream',
    upstream: upstreamConfig(recorder.url, options.frontUpstream),
  });
  return {
    upstream,
    front,
    seen,
    received,
    async stop() {
      await front.stop();
      await recorder.close();
      await upstream.stop();
    },
  };
}

/** A bare upstream-mode gateway (no harness data dir) for pointing at arbitrary servers. */
export async function startFront(url: string, overrides: Partial<UpstreamConfig> = {}, config: Partial<Config> = {}): Promise<Gateway> {
  return startGateway(
    { ...DEFAULT_CONFIG, port: 0, logLevel: 'silent', ...config, mode: 'upstream', upstream: upstreamConfig(url, overrides) },
    pino({ level: 'silent' }),
  );
}
