/**
 * The conformance suite against the upstream core, in front of a second gateway (embedded,
 * noauth) that plays Glance v2. Both are configured as CONFORMANCE_REQUIREMENTS asks: the
 * upstream enforces the limits; the upstream core is given the same size cap, as an operator
 * would mirror Glance's image_size_cap.
 */
import { pino } from 'pino';
import { DEFAULT_CONFIG, type Config } from '../../src/config/config.js';
import { createUpstreamCore } from '../../src/upstream/create.js';
import { startHarness } from '../gateway/harness.js';
import { upstreamConfig } from '../upstream/fixture.js';
import { CONFORMANCE_REQUIREMENTS, describeCoreConformance } from './suite.js';

describeCoreConformance('upstream', async () => {
  const limits = {
    ...DEFAULT_CONFIG.limits,
    imageSizeCap: CONFORMANCE_REQUIREMENTS.imageSizeCap,
    userStorageQuota: CONFORMANCE_REQUIREMENTS.userStorageQuota,
  };
  const upstream = await startHarness({
    logLevel: 'silent',
    stores: null,
    defaultStore: null,
    importMethods: [CONFORMANCE_REQUIREMENTS.importMethod],
    hashWorkers: 2,
    limits,
  });
  const config: Config = {
    ...DEFAULT_CONFIG,
    mode: 'upstream',
    limits,
    importMethods: [CONFORMANCE_REQUIREMENTS.importMethod],
    upstream: upstreamConfig(upstream.url),
  };
  const { core } = createUpstreamCore(config, pino({ level: 'silent' }));
  return {
    core,
    // v2 shows whole seconds and never shows deleted images (README, upstream deviations).
    capabilities: { timestampResolutionMs: 1000, showsDeletedImages: false },
    cleanup: async () => {
      await core.close();
      await upstream.stop();
    },
  };
});
