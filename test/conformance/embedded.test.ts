/**
 * The conformance suite against the embedded core (SQLite + file store in a temp data dir),
 * configured as CONFORMANCE_REQUIREMENTS asks: a 64 KiB image size cap, no storage quota,
 * glance-direct import, single store, default quotas (128) and api_limit_max (1000).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DEFAULT_CONFIG, type Config } from '../../src/config/config.js';
import { createEmbeddedCore } from '../../src/embedded/create.js';
import { CONFORMANCE_REQUIREMENTS, describeCoreConformance } from './suite.js';

describeCoreConformance('embedded', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'gg-conformance-'));
  const config: Config = {
    ...DEFAULT_CONFIG,
    dataDir,
    stores: null,
    defaultStore: null,
    importMethods: [CONFORMANCE_REQUIREMENTS.importMethod],
    hashWorkers: 2,
    logLevel: 'silent',
    auth: { ...DEFAULT_CONFIG.auth },
    limits: {
      ...DEFAULT_CONFIG.limits,
      imageSizeCap: CONFORMANCE_REQUIREMENTS.imageSizeCap,
      userStorageQuota: CONFORMANCE_REQUIREMENTS.userStorageQuota,
    },
  };
  const { core } = await createEmbeddedCore(config, pino({ level: 'silent' }), AbortSignal.timeout(30_000));
  return {
    core,
    cleanup: async () => {
      await core.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
