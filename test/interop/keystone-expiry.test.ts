import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayEnv, issueToken, startKeystone, stopKeystone, type KeystoneEnv } from '../keystone/keystone.js';
import { removeTempDirs, sleep, startGateway, type Gateway } from './gateway.js';

/** Keystone's `[token] expiration` for this file: short, but long enough to use a token once. */
const EXPIRATION_S = 8;

const auth = (t: string) => ({ 'X-Auth-Token': t });

// Token expiry against the REAL Keystone, restarted by keystone.sh with a short token lifetime.
// The gateway keeps its default 5-minute cache TTL: a token's own expiry must end its cache entry.
describe('keystone mode: expired tokens (real Keystone, short token lifetime)', () => {
  let ks: KeystoneEnv;
  let gw: Gateway;

  beforeAll(async () => {
    ks = await startKeystone(EXPIRATION_S);
    gw = await startGateway({ env: gatewayEnv(ks) });
  }, 900_000);

  afterAll(async () => {
    await gw?.stop();
    await stopKeystone().catch(() => undefined); // the next suite starts it with the default lifetime
    removeTempDirs();
  });

  const issue = () => issueToken(ks, 'alice', 'alpha', ks.KEYSTONE_USER_PASSWORD!);

  it('Keystone issues tokens with the configured lifetime', async () => {
    const t = await issue();
    const lifetime = t.expiresAt - Date.now();
    expect(lifetime).toBeGreaterThan(0);
    expect(lifetime).toBeLessThanOrEqual(EXPIRATION_S * 1000 + 1000);
  });

  it('a token accepted (and cached) while valid is refused with 401 once it expires, in both dialects', async () => {
    const t = await issue();
    const v2 = await fetch(`${gw.url}/v2/images`, { headers: auth(t.token) });
    if (Date.now() >= t.expiresAt) throw new Error('machine too slow: the token expired before its first use');
    expect(v2.status).toBe(200);
    expect((await fetch(`${gw.url}/v1/images`, { headers: auth(t.token) })).status).toBe(200);

    await sleep(Math.max(0, t.expiresAt + 1500 - Date.now()));
    const after = await fetch(`${gw.url}/v2/images`, { headers: auth(t.token) });
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toMatch(/^Keystone uri=/);
    expect((await fetch(`${gw.url}/v1/images`, { headers: auth(t.token) })).status).toBe(401);
  });

  it('a token first shown after its expiry is refused; a new one works (the service token renews itself)', async () => {
    const t = await issue();
    await sleep(Math.max(0, t.expiresAt + 1500 - Date.now()));
    // by now the gateway's own service token (same lifetime) has expired as well
    expect((await fetch(`${gw.url}/v2/images`, { headers: auth(t.token) })).status).toBe(401);
    const fresh = await issue();
    const created = await fetch(`${gw.url}/v2/images`, { method: 'POST', body: '{"name":"after-expiry"}', headers: auth(fresh.token) });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { owner: string }).owner).toBe(ks.KEYSTONE_PROJECT_ALPHA_ID);
  });
});
