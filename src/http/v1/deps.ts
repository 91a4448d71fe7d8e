import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { ImageCore } from '../../core/core.js';
import type { V1Usage } from './usage.js';

/** What the v1 routes need: the core interface (never a database or a store), and telemetry. */
export interface V1Deps {
  core: ImageCore;
  config: Config;
  logger: Logger;
  usage: V1Usage;
}
