import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const P = 'GLANCE_GATEWAY_';

describe('tasks and containers config', () => {
  it('defaults: 2 jobs, 48 h, admin only, no container quota', () => {
    const c = loadConfig({}, null);
    expect(c.tasks).toEqual({ concurrency: 2, timeToLiveHours: 48, ownerAccess: false });
    expect(c.containers).toEqual({ projectQuota: 0 });
    expect(c.tasks).not.toBe(DEFAULT_CONFIG.tasks);
  });

  it('env wins over the file', () => {
    const file = JSON.stringify({ tasks: { concurrency: 3, ownerAccess: true }, containers: { projectQuota: 10 } });
    const c = loadConfig({ [`${P}TASK_TTL_HOURS`]: '1', [`${P}TASKS_OWNER_ACCESS`]: 'false', [`${P}CONTAINER_QUOTA`]: '99' }, file);
    expect(c.tasks).toEqual({ concurrency: 3, timeToLiveHours: 1, ownerAccess: false });
    expect(c.containers.projectQuota).toBe(99);
    expect(loadConfig({ [`${P}TASK_CONCURRENCY`]: '5', [`${P}TASKS_OWNER_ACCESS`]: 'yes' }, null).tasks).toMatchObject({ concurrency: 5, ownerAccess: true });
  });

  it('refuses bad values', () => {
    const bad = (env: Record<string, string>, file: string | null = null) => {
      try {
        loadConfig(env, file);
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };
    expect(bad({ [`${P}TASK_CONCURRENCY`]: '0' }).join()).toContain('TASK_CONCURRENCY');
    expect(bad({ [`${P}CONTAINER_QUOTA`]: '-1' }).join()).toContain('CONTAINER_QUOTA');
    expect(bad({}, JSON.stringify({ tasks: { ownerAccess: 'maybe' } })).join()).toContain('tasks.ownerAccess');
    expect(bad({}, JSON.stringify({ tasks: { concurrency: 0 } })).join()).toContain('tasks.concurrency');
  });
});
