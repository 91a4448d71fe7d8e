/**
 * An upstream-mode gateway in front of a second, embedded noauth gateway, both in-process on
 * free loopback ports. The embedded one plays the real Glance (same v2 contract).
 */
import { pino } from 'pino';
import { DEFAULT_CONFIG, DEFAULT_UPSTREAM, type Config, type UpstreamConfig } from '../../src/config/config.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { startHarness, type Harness } from '../gateway/harness.js';

export interface UpstreamPair {
  upstream: Harness;
  front: Harness;
  stop(): Promise<void>;
}

export function upstreamConfig(url: string, overrides: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return { ...DEFAULT_UPSTREAM, url, ...overrides, tls: { ...DEFAULT_UPSTREAM.tls, ...overrides.tls } };
}

export async function startPair(options: { upstream?: Partial<Config>; front?: Partial<Config>; frontUpstream?: Partial<UpstreamConfig> } = {}): Promise<UpstreamPair> {
  const upstream = await startHarness({ logLevel: 'silent', ...options.upstream });
  const front = await startHarness({
    ...options.front,
    mode: 'upstream',
    upstream: upstreamConfig(upstream.url, options.frontUpstream),
  });
  return {
    upstream,
    front,
    async stop() {
      await front.stop();
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
