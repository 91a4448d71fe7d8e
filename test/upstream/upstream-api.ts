/**
 * `startApi` (test/support/api-gateway.ts) in upstream mode: the gateway under test runs
 * `mode: 'upstream'` in front of a second, embedded gateway that plays Glance v2. Both get the
 * same limits and formats, as an operator would mirror Glance's settings. Used through vi.mock so
 * existing HTTP suites run unchanged against the upstream core.
 */
import type { Config, Limits } from '../../src/config/config.js';
import type { Api } from '../support/api-gateway.js';
import { upstreamConfig } from './fixture.js';

type StartApi = (overrides?: Partial<Config>, limits?: Partial<Limits>) => Promise<Api>;

export function upstreamStartApi(startEmbedded: StartApi): StartApi {
  return async (overrides = {}, limits = {}) => {
    const upstream = await startEmbedded(overrides, limits);
    const front = await startEmbedded(
      { ...overrides, mode: 'upstream', upstream: upstreamConfig(upstream.url, { cacheTtlMs: 30_000 }) },
      limits,
    );
    return {
      ...front,
      async close() {
        await front.close();
        await upstream.close();
      },
    };
  };
}
