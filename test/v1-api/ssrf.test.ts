/**
 * copy-from and location to internal addresses are refused (spec v1 §6): with the DEFAULT fetch
 * config (no allow-list, ports 80/443), and with any port allowed so that only the address
 * policy can refuse. The fixture server must never see a request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { RAW, createV1, detail, meta, postV1, putV1, startApi, startFixture, type Api, type Fixture } from './v1-helpers.js';

let strict: Api;
let anyPort: Api;
let fixture: Fixture;

beforeAll(async () => {
  fixture = await startFixture({ '/img.bin': Buffer.from('must never be fetched') });
  strict = await startApi({ fetch: { ...DEFAULT_CONFIG.fetch } });
  anyPort = await startApi({ fetch: { ...DEFAULT_CONFIG.fetch, ports: null } });
});
afterAll(async () => {
  await strict.close();
  await anyPort.close();
  await fixture.close();
});

function internalUrls(): string[] {
  const p = fixture.port;
  return [
    `http://127.0.0.1:${p}/img.bin`, `http://127.0.0.1/img.bin`, `http://localhost:${p}/img.bin`,
    'http://10.0.0.1/img.bin', `http://10.0.0.1:${p}/img.bin`,
    'http://169.254.169.254/latest/meta-data/', `http://169.254.169.254:${p}/`,
    `http://[::1]:${p}/img.bin`, 'http://[::1]/img.bin',
    `http://2130706433:${p}/img.bin`, `http://0x7f.1:${p}/img.bin`, `http://[::ffff:127.0.0.1]:${p}/img.bin`,
    `http://user:pw@127.0.0.1:${p}/img.bin`,
  ];
}

describe.each([
  ['default config', () => strict],
  ['any port, no allow-list', () => anyPort],
])('%s', (_label, gw) => {
  it('POST with x-glance-api-copy-from to an internal address is 400; nothing is fetched', async () => {
    for (const url of internalUrls()) {
      const r = await postV1(gw(), { ...meta({ name: 'ssrf-copy', ...RAW }), 'x-glance-api-copy-from': url });
      expect(r.status, `${url}: ${r.text}`).toBe(400);
      expect(r.text).not.toContain('pw@');
    }
    expect(fixture.requests).toEqual([]);
  });

  it('POST with x-image-meta-location to an internal address is 400; nothing is fetched', async () => {
    for (const url of internalUrls()) {
      const r = await postV1(gw(), { ...meta({ name: 'ssrf-loc', ...RAW }), 'x-image-meta-location': url });
      expect(r.status, `${url}: ${r.text}`).toBe(400);
    }
    expect(fixture.requests).toEqual([]);
  });

  it('PUT copy-from or location on a queued image is 400 too and leaves it queued', async () => {
    const image = await createV1(gw(), meta({ name: 'ssrf-put', ...RAW }));
    for (const url of [`http://127.0.0.1:${fixture.port}/img.bin`, 'http://169.254.169.254/latest/meta-data/', `http://[::1]:${fixture.port}/`]) {
      expect((await putV1(gw(), image.id, { 'x-glance-api-copy-from': url })).status, url).toBe(400);
      expect((await putV1(gw(), image.id, { 'x-image-meta-location': url })).status, url).toBe(400);
    }
    const head = await gw().call('HEAD', `/v1/images/${image.id}`);
    expect(head.header('x-image-meta-status')).toBe('queued');
    expect(fixture.requests).toEqual([]);
  });

  it('a refused source leaves no image behind (source validation precedes the reserve, §3.3 step 3)', async () => {
    const name = `ssrf-leftover-${Math.random().toString(36).slice(2)}`;
    expect((await postV1(gw(), { ...meta({ name, ...RAW }), 'x-image-meta-location': 'http://10.0.0.1/x' })).status).toBe(400);
    expect((await postV1(gw(), { ...meta({ name, ...RAW }), 'x-glance-api-copy-from': 'http://10.0.0.1/x' })).status).toBe(400);
    expect.soft(await detail(gw(), `name=${name}`)).toEqual([]);
  });
});
