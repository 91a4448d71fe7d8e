import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { urlFetcherFromConfig } from '../fetch/from-config.js';
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
    fetcher: urlFetcherFromConfig(config),
    limits: config.limits,
    logger,
    background: new Set(),
    importMethods: [...config.importMethods],
  });
  return { core, client, cache };
}
