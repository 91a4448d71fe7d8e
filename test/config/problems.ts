import { ConfigError, loadConfig } from '../../src/config/load.js';

export const P = 'GLANCE_GATEWAY_';

/**
 * The problems loadConfig reports for this environment and config file text ([] when it loads).
 * `files` stands in for the file system when the config names other files (e.g. the policy file).
 */
export function problems(env: Record<string, string>, file: string | null = null, files?: Record<string, string>): string[] {
  const readFile = files === undefined
    ? undefined
    : (p: string): string => {
        if (!Object.hasOwn(files, p)) throw new Error(`ENOENT: no such file '${p}'`);
        return files[p]!;
      };
  try {
    loadConfig(env, file, files === undefined ? undefined : 'gw.json', readFile);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}
