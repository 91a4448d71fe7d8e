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
import { ContainerStore } from '../containers/container-store.js';
import { EmbeddedTaskCore } from './task-service.js';
import { TaskRunner } from './task-runner.js';

/** The single-store deployment keeps its one store under this id (never shown to clients). */
export const SINGLE_STORE_ID = 'default';

/** Builds the embedded core from config, repairs what a crash left, and returns it ready. */
export async function createEmbeddedCore(
  config: Config,
  logger: Logger,
  signal: AbortSignal,
): Promise<{ core: EmbeddedCore; recovery: RecoveryReport; tasks: EmbeddedTaskCore; containers: ContainerStore }> {
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
    // Glance keeps the tasks API admin-only; the config may open it to projects (own tasks).
    policy: makePolicy({ ...(config.tasks.ownerAccess ? { tasks_api_access: 'anyone' as const } : {}), ...config.policy }),
    stores,
    defaultStoreId: config.stores === null ? SINGLE_STORE_ID : config.defaultStore!,
    multiStore: config.stores !== null,
    readOnlyStores: new Set((config.stores ?? []).filter((s) => s.readOnly === true).map((s) => s.id)),
    showMultipleLocations: config.showMultipleLocations,
    staging: new FileStore({ id: 'os_glance_staging_store', root: join(dataDir, 'staging') }),
    hashPool: new HashPool({ size: config.hashWorkers }),
    fetcher: urlFetcherFromConfig(config),
    limits: config.limits,
    formats: { disk: config.diskFormats, container: config.containerFormats },
    // copy-image copies between stores: meaningless with one (Glance's would fail on it).
    importMethods: config.importMethods.filter((m) => m !== 'copy-image' || (config.stores?.length ?? 0) > 1),
    now: () => Date.now(),
    logger,
    background: new Set(),
  };
  const taskTtlMs = config.tasks.timeToLiveHours * 3600 * 1000;
  const recovery = await recover(deps, signal, taskTtlMs);
  const containers = new ContainerStore({
    root: join(dataDir, 'containers'),
    maxObjectBytes: config.limits.imageSizeCap,
    projectQuota: config.containers.projectQuota,
  });
  recovery.tempFilesRemoved += await containers.cleanTemp(signal);
  const core = new EmbeddedCore(deps);
  const runner = new TaskRunner(config.tasks.concurrency, logger);
  const tasks = new EmbeddedTaskCore(deps, core, containers, runner, { timeToLiveMs: taskTtlMs, purgeEveryMs: 10 * 60 * 1000 });
  return { core, recovery, tasks, containers };
}
