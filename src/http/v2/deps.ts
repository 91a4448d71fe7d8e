import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { ImageCore } from '../../core/core.js';

/** What the v2 routes need: the core interface, never a database or a store. */
export interface V2Deps {
  core: ImageCore;
  config: Config;
  logger: Logger;
}
