import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { makePolicy } from '../core/policy.js';
import { FileStore } from '../store/file-store.js';
import { HashPool } from '../store/hash-pool.js';
import { urlFetcherFromConfig } from '../fetch/from-config.js';
import type { BlobStore } from '../store/store.js';
import { openDatabase } from './db/database.js';
import { ImageRepo } from './db/image-repo.js';
import { MemberRepo } from './db/member-repo.js';
import { TaskRepo } from './db/task-repo.js';
import type { EmbeddedDeps } from './deps.js';
import { EmbeddedCore } from './embedded-core.js';
import { ImageCache } from './image-cache.js';
import { recover, type RecoveryReport } from './recovery.js';

/** The single-store deployment keeps its one store under this id (never shown to clients). */
export const SINGLE_STORE_ID = 'default';

/** Builds the embedded core from config, repairs what a crash left, and returns it ready. */
export async function createEmbeddedCore(
  config: Config,
  logger: Logger,
  signal: AbortSignal,
): Promise<{ core: EmbeddedCore; recovery: RecoveryReport }> {
  const dataDir = resolve(config.dataDir);
  const db = openDatabase(join(dataDir, 'glance-gateway.sqlite'), config.dbSynchronous);
  const stores = new Map<string, BlobStore>();
  if (config.stores === null) {
    stores.set(SINGLE_STORE_ID, new FileStore({ id: SINGLE_STORE_ID, root: join(dataDir, 'images') }));
  } else {
    for (const s of config.stores) {
      const root = resolve(dataDir, s.path);
      stores.set(s.id, new FileStore({ id: s.id, root, ...(s.description !== undefined ? { description: s.description } : {}) }));
    }
  }
  const deps: EmbeddedDeps = {
    db,
    images: new ImageRepo(db),
    members: new MemberRepo(db),
    tasks: new TaskRepo(db),
    cache: new ImageCache(config.cacheSize),
    policy: makePolicy(),
    stores,
    defaultStoreId: config.stores === null ? SINGLE_STORE_ID : config.defaultStore!,
    multiStore: config.stores !== null,
    staging: new FileStore({ id: 'os_glance_staging_store', root: join(dataDir, 'staging') }),
    hashPool: new HashPool({ size: config.hashWorkers }),
    fetcher: urlFetcherFromConfig(config),
    limits: config.limits,
    formats: { disk: config.diskFormats, container: config.containerFormats },
    importMethods: config.importMethods,
    now: () => Date.now(),
    logger,
    background: new Set(),
  };
  const recovery = await recover(deps, signal);
  return { core: new EmbeddedCore(deps), recovery };
}
