import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { parseAllowList } from '../fetch/address-policy.js';
import { UrlFetcher } from '../fetch/url-fetcher.js';
import { UpstreamClient } from './client.js';
import { MetadataCache } from './metadata-cache.js';
import { V1Sidecar } from './sidecar.js';
import { UpstreamCore } from './upstream-core.js';

export interface UpstreamParts {
  core: UpstreamCore;
  client: UpstreamClient;
  cache: MetadataCache;
}

/** Builds the upstream core and what the v2 proxy shares with it (the one pool, the one cache). */
export function createUpstreamCore(config: Config, logger: Logger): UpstreamParts {
  const up = config.upstream;
  const client = new UpstreamClient(up, randomUUID().slice(0, 8));
  const cache = new MetadataCache({ max: up.cacheSize, ttlMs: up.cacheTtlMs });
  const core = new UpstreamCore({
    client,
    cache,
    sidecar: new V1Sidecar(),
    fetcher: new UrlFetcher({
      allow: parseAllowList(config.fetch.allow),
      allowedPorts: config.fetch.ports,
      maxRedirects: config.fetch.maxRedirects,
      connectTimeoutMs: config.fetch.connectTimeoutMs,
      totalTimeoutMs: config.fetch.totalTimeoutMs === 0 ? null : config.fetch.totalTimeoutMs,
      maxBytes: config.limits.imageSizeCap,
      userAgent: 'glance-gateway',
    }),
    limits: config.limits,
    logger,
    background: new Set(),
    importMethods: [...config.importMethods],
  });
  return { core, client, cache };
}
