import type { Config } from '../config/config.js';
import { parseAllowList } from './address-policy.js';
import { UrlFetcher } from './url-fetcher.js';

/** The guarded URL fetcher as configured (`fetch.*`, the image size cap), for either core. */
export function urlFetcherFromConfig(config: Config): UrlFetcher {
  return new UrlFetcher({
    allow: parseAllowList(config.fetch.allow),
    allowedPorts: config.fetch.ports,
    maxRedirects: config.fetch.maxRedirects,
    connectTimeoutMs: config.fetch.connectTimeoutMs,
    totalTimeoutMs: config.fetch.totalTimeoutMs === 0 ? null : config.fetch.totalTimeoutMs,
    maxBytes: config.limits.imageSizeCap,
    userAgent: 'glance-gateway',
  });
}
