/** Upstream mode configuration: GLANCE_GATEWAY_MODE / UPSTREAM_* and the `upstream` file key. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load.js';
import { P, problems } from '../config/problems.js';


describe('upstream configuration', () => {
  it('defaults: embedded mode, no URL, 30 s metadata cache TTL', () => {
    const cfg = loadConfig({}, null);
    expect(cfg.mode).toBe('embedded');
    expect(cfg.upstream).toMatchObject({ url: null, cacheTtlMs: 30000, cacheSize: 10000, connections: 64, retries: 1 });
    expect(cfg.upstream.tls.rejectUnauthorized).toBe(true);
  });

  it('reads GLANCE_GATEWAY_MODE and GLANCE_GATEWAY_UPSTREAM_URL and the tuning variables', () => {
    const cfg = loadConfig(
      {
        [`${P}MODE`]: 'upstream',
        [`${P}UPSTREAM_URL`]: 'https://glance.example:9292/image',
        [`${P}UPSTREAM_CONNECT_TIMEOUT_MS`]: '1500',
        [`${P}UPSTREAM_HEADERS_TIMEOUT_MS`]: '2500',
        [`${P}UPSTREAM_BODY_TIMEOUT_MS`]: '3500',
        [`${P}UPSTREAM_CONNECTIONS`]: '8',
        [`${P}UPSTREAM_RETRIES`]: '0',
        [`${P}UPSTREAM_CA_FILE`]: '/etc/ssl/ca.pem',
        [`${P}UPSTREAM_CERT_FILE`]: '/etc/ssl/c.pem',
        [`${P}UPSTREAM_KEY_FILE`]: '/etc/ssl/k.pem',
        [`${P}UPSTREAM_INSECURE`]: 'true',
        [`${P}UPSTREAM_CACHE_TTL_MS`]: '5000',
        [`${P}UPSTREAM_CACHE_SIZE`]: '42',
      },
      null,
    );
    expect(cfg.mode).toBe('upstream');
    expect(cfg.upstream).toEqual({
      url: 'https://glance.example:9292/image',
      connectTimeoutMs: 1500,
      headersTimeoutMs: 2500,
      bodyTimeoutMs: 3500,
      connections: 8,
      retries: 0,
      tls: { caFile: '/etc/ssl/ca.pem', certFile: '/etc/ssl/c.pem', keyFile: '/etc/ssl/k.pem', rejectUnauthorized: false },
      cacheTtlMs: 5000,
      cacheSize: 42,
    });
    expect(DEFAULT_CONFIG.upstream.url).toBeNull();
    expect(DEFAULT_CONFIG.upstream.tls.rejectUnauthorized).toBe(true);
  });

  it('reads the config file keys mode and upstream.url; env wins', () => {
    const file = JSON.stringify({ mode: 'upstream', upstream: { url: 'http://file:9292', cacheTtlMs: 100 } });
    expect(loadConfig({}, file).upstream).toMatchObject({ url: 'http://file:9292', cacheTtlMs: 100, connections: 64 });
    expect(loadConfig({ [`${P}UPSTREAM_URL`]: 'http://env:9292' }, file).upstream.url).toBe('http://env:9292');
  });

  it('refuses upstream mode without a usable URL, and half a client certificate', () => {
    expect(problems({ [`${P}MODE`]: 'upstream' })).toEqual([
      `upstream: upstream mode needs ${P}UPSTREAM_URL (or upstream.url)`,
    ]);
    expect(problems({ [`${P}MODE`]: 'upstream', [`${P}UPSTREAM_URL`]: 'not a url' })).toEqual(["upstream.url: not a URL: 'not a url'"]);
    expect(problems({ [`${P}MODE`]: 'upstream', [`${P}UPSTREAM_URL`]: 'ftp://x' })).toEqual(["upstream.url: must be http or https, got 'ftp:'"]);
    expect(problems({ [`${P}MODE`]: 'upstream', [`${P}UPSTREAM_URL`]: 'http://u:p@x/?q=1' })).toEqual([
      'upstream.url: must not carry credentials, a query or a fragment',
    ]);
    expect(problems({ [`${P}MODE`]: 'upstream', [`${P}UPSTREAM_URL`]: 'https://x', [`${P}UPSTREAM_CERT_FILE`]: '/c.pem' })).toEqual([
      'upstream.tls: certFile and keyFile go together',
    ]);
    expect(problems({ [`${P}UPSTREAM_CONNECTIONS`]: '0' })).toEqual([`${P}UPSTREAM_CONNECTIONS: must be an integer >= 1, got '0'`]);
    expect(problems({ [`${P}MODE`]: 'upstream', [`${P}UPSTREAM_URL`]: 'http://x' }, JSON.stringify({ upstream: { connections: -1 } }))).toEqual([
      'upstream.connections: must be an integer >= 1',
    ]);
  });
});
