import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayEnv, startKeystone, stopKeystone, token } from '../keystone/keystone.js';
import { removeTempDirs, sleep, startGateway, type Gateway } from './gateway.js';

const CACHE_TTL_MS = 1500;

// The gateway in keystone mode against a REAL Keystone from Debian's packages (uwsgi, sqlite
// WAL, fernet), started and stopped by test/keystone/keystone.sh.
describe('keystone mode against a real Keystone', () => {
  let ks: Record<string, string>;
  let gw: Gateway;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    ks = await startKeystone();
    gw = await startGateway({ env: gatewayEnv(ks, CACHE_TTL_MS) });
    alice = await token(ks, 'alice', 'alpha', ks.KEYSTONE_USER_PASSWORD!);
    bob = await token(ks, 'bob', 'beta', ks.KEYSTONE_USER_PASSWORD!);
  }, 900_000);

  afterAll(async () => {
    await gw?.stop();
    await stopKeystone().catch(() => undefined);
    removeTempDirs();
  });

  it('answers 401 with the Keystone challenge to a missing or garbage token', async () => {
    for (const headers of [{}, { 'X-Auth-Token': 'garbage-token' }] as Array<Record<string, string>>) {
      const res = await fetch(`${gw.url}/v2/images`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(`Keystone uri="${ks.KEYSTONE_URL!.replace(/\/v3$/, '')}"`);
    }
    expect((await fetch(`${gw.url}/v1/images`, { headers: { 'X-Auth-Token': 'garbage-token' } })).status).toBe(401);
    expect((await fetch(`${gw.url}/versions`)).status).toBe(200);
  });

  it("owns images by the token's project and keeps projects apart, in both dialects", async () => {
    const created = await fetch(`${gw.url}/v2/images`, {
      method: 'POST',
      body: JSON.stringify({ name: 'alice-private', visibility: 'private' }),
      headers: { 'X-Auth-Token': alice },
    });
    expect(created.status).toBe(201);
    const image = (await created.json()) as { id: string; owner: string };
    expect(image.owner).toBe(ks.KEYSTONE_PROJECT_ALPHA_ID);
    expect((await fetch(`${gw.url}/v2/images/${image.id}`, { headers: { 'X-Auth-Token': alice } })).status).toBe(200);
    expect((await fetch(`${gw.url}/v2/images/${image.id}`, { headers: { 'X-Auth-Token': bob } })).status).toBe(404);
    expect((await fetch(`${gw.url}/v1/images/${image.id}`, { method: 'HEAD', headers: { 'X-Auth-Token': bob } })).status).toBe(404);
    const bobList = (await (await fetch(`${gw.url}/v2/images`, { headers: { 'X-Auth-Token': bob } })).json()) as { images: Array<{ id: string }> };
    expect(bobList.images.map((i) => i.id)).not.toContain(image.id);
  });

  it('stops accepting a revoked token once the cache entry expires', async () => {
    const short = await token(ks, 'alice', 'alpha', ks.KEYSTONE_USER_PASSWORD!);
    expect((await fetch(`${gw.url}/v2/images`, { headers: { 'X-Auth-Token': short } })).status).toBe(200);
    const admin = await token(ks, ks.KEYSTONE_ADMIN_USER!, ks.KEYSTONE_ADMIN_PROJECT!, ks.KEYSTONE_ADMIN_PASSWORD!);
    const revoke = await fetch(`${ks.KEYSTONE_URL}/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': admin, 'X-Subject-Token': short } });
    expect(revoke.status).toBe(204);
    await sleep(CACHE_TTL_MS + 500);
    expect((await fetch(`${gw.url}/v2/images`, { headers: { 'X-Auth-Token': short } })).status).toBe(401);
  });

  it('never writes a token to its log', () => {
    const log = gw.logs.join('\n');
    expect(log).not.toContain(alice);
    expect(log).not.toContain(bob);
    expect(log).not.toContain(ks.GLANCE_SERVICE_PASSWORD!);
  });
});
