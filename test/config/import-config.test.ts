import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

describe('configuration of imports, stores and locations', () => {
  it('accepts copy-image among the import methods and still refuses unknown ones', () => {
    expect(loadConfig({ GLANCE_GATEWAY_IMPORT_METHODS: 'glance-direct,copy-image' }, null).importMethods).toEqual(['glance-direct', 'copy-image']);
    expect(() => loadConfig({ GLANCE_GATEWAY_IMPORT_METHODS: 'glance-download' }, null)).toThrow(ConfigError);
  });

  it('reads read-only stores (`id:path:ro`) and never makes one the default', () => {
    const cfg = loadConfig({ GLANCE_GATEWAY_STORES: 'web:/srv/web:ro,fast:fast' }, null);
    expect(cfg.stores).toEqual([{ id: 'web', path: '/srv/web', readOnly: true }, { id: 'fast', path: 'fast' }]);
    expect(cfg.defaultStore).toBe('fast');
    expect(() => loadConfig({ GLANCE_GATEWAY_STORES: 'web:/srv/web:ro,fast:fast', GLANCE_GATEWAY_DEFAULT_STORE: 'web' }, null)).toThrow(
      "defaultStore: 'web' is read-only",
    );
  });

  it('locations are hidden by default; the flags come from env or file', () => {
    const def = loadConfig({}, null);
    expect([def.showMultipleLocations, def.showImageDirectUrl]).toEqual([false, false]);
    const env = loadConfig({ GLANCE_GATEWAY_SHOW_MULTIPLE_LOCATIONS: 'true', GLANCE_GATEWAY_SHOW_IMAGE_DIRECT_URL: '1' }, null);
    expect([env.showMultipleLocations, env.showImageDirectUrl]).toEqual([true, true]);
    const file = loadConfig({ GLANCE_GATEWAY_SHOW_MULTIPLE_LOCATIONS: 'off' }, JSON.stringify({ showMultipleLocations: true, showImageDirectUrl: true }));
    expect([file.showMultipleLocations, file.showImageDirectUrl]).toEqual([false, true]);
  });
});

describe('configuration file type checks', () => {
  it('refuses non-boolean location flags and readOnly', () => {
    expect(() => loadConfig({}, JSON.stringify({ showMultipleLocations: 'yes' }))).toThrow('showMultipleLocations: must be true or false');
    expect(() => loadConfig({}, JSON.stringify({ stores: [{ id: 'a', path: 'a', readOnly: 'no' }] }))).toThrow("stores: readOnly of 'a' must be true or false");
  });
});
