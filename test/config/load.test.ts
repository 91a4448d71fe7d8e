import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load.js';
import { P, problems } from './problems.js';


describe('loadConfig', () => {
  it('gives the documented defaults with an empty environment', () => {
    const cfg = loadConfig({}, null);
    expect(cfg).toMatchObject({ host: '127.0.0.1', port: 9292, dataDir: './data', mode: 'embedded', stores: null, v1: true });
    expect(cfg.auth).toEqual({ mode: 'noauth', noauthProject: 'admin' });
    expect(cfg.limits.imageSizeCap).toBe(1099511627776);
    expect(cfg.limits.apiLimitMax).toBe(1000);
    expect(cfg.importMethods).toEqual(['glance-direct', 'web-download']);
    expect(cfg.fetch.ports).toEqual([80, 443]);
  });

  it('reads the environment, which wins over the file', () => {
    const file = JSON.stringify({ port: 1111, host: '0.0.0.0', limits: { tagQuota: 5 } });
    const cfg = loadConfig({ [`${P}PORT`]: '2222', [`${P}DATA_DIR`]: '/srv/glance', [`${P}IMAGE_SIZE_CAP`]: '1024' }, file);
    expect(cfg.port).toBe(2222);
    expect(cfg.host).toBe('0.0.0.0');
    expect(cfg.dataDir).toBe('/srv/glance');
    expect(cfg.limits.imageSizeCap).toBe(1024);
    expect(cfg.limits.tagQuota).toBe(5);
    expect(cfg.limits.propertyQuota).toBe(DEFAULT_CONFIG.limits.propertyQuota);
  });

  it('does not share nested objects with the defaults', () => {
    const cfg = loadConfig({ [`${P}IMAGE_TAG_QUOTA`]: '3' }, null);
    expect(cfg.limits.tagQuota).toBe(3);
    expect(DEFAULT_CONFIG.limits.tagQuota).toBe(128);
  });

  it('parses stores and picks the first as default', () => {
    const cfg = loadConfig({ [`${P}STORES`]: 'fast:/ssd,cheap:/hdd' }, null);
    expect(cfg.stores).toEqual([
      { id: 'fast', path: '/ssd' },
      { id: 'cheap', path: '/hdd' },
    ]);
    expect(cfg.defaultStore).toBe('fast');
  });

  it('parses fetch settings', () => {
    const cfg = loadConfig({ [`${P}FETCH_ALLOW`]: '127.0.0.1/32, mirror.local', [`${P}FETCH_PORTS`]: 'any' }, null);
    expect(cfg.fetch.allow).toEqual(['127.0.0.1/32', 'mirror.local']);
    expect(cfg.fetch.ports).toBeNull();
  });

  it.each([
    [{ [`${P}PORT`]: 'x' }, `${P}PORT: expected an integer, got 'x'`],
    [{ [`${P}PORT`]: '70000' }, 'port: must be 0..65535'],
    [{ [`${P}IMAGE_SIZE_CAP`]: '-1' }, `${P}IMAGE_SIZE_CAP: must be an integer >= 0`],
    [{ [`${P}AUTH`]: 'magic' }, "auth: must be noauth, keystone or static, got 'magic'"],
    [{ [`${P}MODE`]: 'cloud' }, "mode: must be embedded or upstream, got 'cloud'"],
    [{ [`${P}STORES`]: 'nopath' }, "entry 'nopath' must look like id:path"],
    [{ [`${P}STORES`]: 'a:/x,a:/y' }, "stores: duplicate id 'a'"],
    [{ [`${P}STORES`]: 'os_glance_x:/x' }, "stores: id 'os_glance_x' is reserved"],
    [{ [`${P}STORES`]: 'a:/x', [`${P}DEFAULT_STORE`]: 'b' }, "defaultStore: 'b' is not a configured store"],
    [{ [`${P}DEFAULT_STORE`]: 'b' }, 'defaultStore: set only together with stores'],
    [{ [`${P}IMPORT_METHODS`]: 'glance-direct,teleport' }, "importMethods: 'teleport' is not supported"],
    [{ [`${P}FETCH_PORTS`]: '80,0' }, `${P}FETCH_PORTS: expected 'any' or a comma-separated list of ports`],
    [{ [`${P}FETCH_ALLOW`]: '10.0.0.1/8' }, 'fetch.allow:'],
    [{ [`${P}DB_SYNCHRONOUS`]: 'off' }, 'dbSynchronous: must be NORMAL or FULL'],
    [{ [`${P}LIMIT_PARAM_DEFAULT`]: '2000' }, 'limits: limitParamDefault exceeds apiLimitMax'],
  ])('refuses %j with a clear message', (env, message) => {
    expect(problems(env).join('\n')).toContain(message);
  });

  it('needs the Keystone settings in keystone mode and a tokens file in static mode', () => {
    const ks = problems({ [`${P}AUTH`]: 'keystone', [`${P}KEYSTONE_URL`]: 'http://127.0.0.1:5000/v3' }).join('\n');
    expect(ks).toContain(`${P}KEYSTONE_USERNAME`);
    expect(ks).toContain(`${P}KEYSTONE_PASSWORD`);
    expect(ks).toContain(`${P}KEYSTONE_PROJECT`);
    expect(ks).not.toContain(`${P}KEYSTONE_URL`);
    expect(problems({ [`${P}AUTH`]: 'static' }).join('\n')).toContain(`${P}TOKENS_FILE`);
    const cfg = loadConfig(
      {
        [`${P}AUTH`]: 'keystone',
        [`${P}KEYSTONE_URL`]: 'http://127.0.0.1:5000/v3',
        [`${P}KEYSTONE_USERNAME`]: 'glance',
        [`${P}KEYSTONE_PASSWORD`]: 'pw',
        [`${P}KEYSTONE_PROJECT`]: 'service',
      },
      null,
    );
    expect(cfg.auth.keystone).toMatchObject({ userDomain: 'Default', projectDomain: 'Default', cacheTtlMs: 300000 });
  });

  it('reports every problem at once', () => {
    expect(problems({ [`${P}PORT`]: 'x', [`${P}AUTH`]: 'magic', [`${P}DB_SYNCHRONOUS`]: 'off' })).toHaveLength(3);
  });

  it('refuses a config file that is not a JSON object', () => {
    expect(problems({}, '[1, 2]')).toEqual(['config file: must hold a JSON object']);
    expect(problems({}, '{oops')[0]).toMatch(/^config file: not valid JSON/);
  });
});
