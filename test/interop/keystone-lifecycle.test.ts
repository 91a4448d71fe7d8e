import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  gatewayEnv,
  roleId,
  setRole,
  startKeystone,
  stopKeystone,
  userToken,
  type KeystoneEnv,
} from '../keystone/keystone.js';
import { removeTempDirs, sleep, startGateway, type Gateway } from './gateway.js';

/** Long enough that the steps between a validation and the "still cached" check fit inside it. */
const ROLE_TTL_MS = 6000;
const OUTAGE_TTL_MS = 12_000;
const UNAVAILABLE = 'The Keystone service is temporarily unavailable.';

const auth = (t: string) => ({ 'X-Auth-Token': t });

async function createPublic(gw: Gateway, t: string, dialect: 'v1' | 'v2'): Promise<number> {
  const res =
    dialect === 'v2'
      ? await fetch(`${gw.url}/v2/images`, { method: 'POST', body: JSON.stringify({ name: 'pub', visibility: 'public' }), headers: auth(t) })
      : await fetch(`${gw.url}/v1/images`, { method: 'POST', headers: { 'x-image-meta-name': 'pub', 'x-image-meta-is_public': 'true', ...auth(t) } });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Fails (rather than passing vacuously) when the machine was too slow for a "still cached"
 * observation to be meaningful: the check must have completed inside the cache window.
 */
function insideWindow(startedAt: number, ttlMs: number, what: string): void {
  const elapsed = Date.now() - startedAt;
  if (elapsed > ttlMs - 500) throw new Error(`${what}: took ${elapsed} ms, too close to the ${ttlMs} ms cache TTL to observe caching`);
}

// Token lifecycle against the REAL Keystone of test/keystone/keystone.sh: garbage and revoked
// tokens, role changes becoming visible only after the gateway's cache TTL, and Keystone
// stopping and coming back mid-run.
describe('keystone mode: token lifecycle against a real Keystone', () => {
  let ks: KeystoneEnv;
  let admin: string;
  let adminRole: string;
  let roleGw: Gateway;

  beforeAll(async () => {
    ks = await startKeystone();
    admin = await adminToken(ks);
    adminRole = await roleId(ks, admin, 'admin');
    // rita starts as a reader in alpha, never admin (an earlier interrupted run may have left it)
    await setRole(ks, admin, false, ks.KEYSTONE_PROJECT_ALPHA_ID!, ks.KEYSTONE_USER_RITA_ID!, adminRole);
    roleGw = await startGateway({ env: gatewayEnv(ks, ROLE_TTL_MS) });
  }, 900_000);

  afterAll(async () => {
    if (admin !== undefined && adminRole !== undefined) {
      await startKeystone().catch(() => undefined);
      await setRole(ks, admin, false, ks.KEYSTONE_PROJECT_ALPHA_ID!, ks.KEYSTONE_USER_RITA_ID!, adminRole).catch(() => undefined);
    }
    await roleGw?.stop();
    await stopKeystone().catch(() => undefined);
    removeTempDirs();
  });

  it('refuses garbage, malformed and revoked tokens with 401 in both dialects', async () => {
    const alice = await userToken(ks, 'alice');
    // a well-formed but unknown fernet-looking token, a token with a space, an over-long one
    const fake = `gAAAAAB${'x'.repeat(176)}`;
    for (const t of [fake, 'not a token', 'y'.repeat(8000), alice.slice(0, -4) + 'AAAA']) {
      for (const p of ['/v2/images', '/v1/images']) {
        const res = await fetch(`${roleGw.url}${p}`, { headers: auth(t) });
        expect(res.status, `${p} with a bad token`).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe(`Keystone uri="${ks.KEYSTONE_URL!.replace(/\/v3$/, '')}"`);
      }
    }
    // revoked before the gateway ever saw it: refused at once
    const revoked = await userToken(ks, 'alice');
    const del = await fetch(`${ks.KEYSTONE_URL}/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': admin, 'X-Subject-Token': revoked } });
    expect(del.status).toBe(204);
    expect((await fetch(`${roleGw.url}/v2/images`, { headers: auth(revoked) })).status).toBe(401);
    expect((await fetch(`${roleGw.url}/v1/images/detail`, { headers: auth(revoked) })).status).toBe(401);
    // the good token still works
    expect((await fetch(`${roleGw.url}/v2/images`, { headers: auth(alice) })).status).toBe(200);
  });

  it('a role granted or removed in Keystone takes effect after the cache TTL, not before', async () => {
    const rita = await userToken(ks, 'rita');
    const alpha = ks.KEYSTONE_PROJECT_ALPHA_ID!;
    const user = ks.KEYSTONE_USER_RITA_ID!;

    // validated and cached as a reader: publicizing is admin-only
    let window = Date.now();
    expect(await createPublic(roleGw, rita, 'v2')).toBe(403);
    await setRole(ks, admin, true, alpha, user, adminRole);
    expect(await createPublic(roleGw, rita, 'v2')).toBe(403); // cached roles
    expect(await createPublic(roleGw, rita, 'v1')).toBe(403);
    insideWindow(window, ROLE_TTL_MS, 'grant');

    await sleep(ROLE_TTL_MS + 300);
    window = Date.now();
    expect(await createPublic(roleGw, rita, 'v2')).toBe(201); // re-validated: admin now
    expect(await createPublic(roleGw, rita, 'v1')).toBe(201);

    await setRole(ks, admin, false, alpha, user, adminRole);
    expect(await createPublic(roleGw, rita, 'v2')).toBe(201); // still cached as admin
    insideWindow(window, ROLE_TTL_MS, 'removal');

    await sleep(ROLE_TTL_MS + 300);
    expect(await createPublic(roleGw, rita, 'v2')).toBe(403);
    expect(await createPublic(roleGw, rita, 'v1')).toBe(403);
  });

  it('Keystone stopped: cached tokens pass until the TTL, anything needing Keystone gets 503; recovers on restart', async () => {
    const gw = await startGateway({ env: gatewayEnv(ks, OUTAGE_TTL_MS) });
    try {
      const cached = await userToken(ks, 'alice');
      const fresh = await userToken(ks, 'bob'); // issued, never shown to the gateway before the outage
      const window = Date.now();
      expect((await fetch(`${gw.url}/v2/images`, { headers: auth(cached) })).status).toBe(200);
      const validated = Date.now(); // the cache entry began before this

      await stopKeystone();
      // design: a validated token is trusted for the cache TTL (as keystonemiddleware's cache)
      expect((await fetch(`${gw.url}/v2/images`, { headers: auth(cached) })).status).toBe(200);
      expect((await fetch(`${gw.url}/v1/images`, { headers: auth(cached) })).status).toBe(200);
      insideWindow(window, OUTAGE_TTL_MS, 'cached token during the outage');

      // never an open door: a token the gateway cannot validate is refused with 503
      const v2 = await fetch(`${gw.url}/v2/images`, { headers: auth(fresh) });
      expect(v2.status).toBe(503);
      expect(await v2.text()).toContain(UNAVAILABLE);
      const v1 = await fetch(`${gw.url}/v1/images`, { headers: auth(fresh) });
      expect(v1.status).toBe(503);
      expect(await v1.text()).toContain(UNAVAILABLE);
      const write = await fetch(`${gw.url}/v2/images`, { method: 'POST', body: '{}', headers: auth(fresh) });
      expect(write.status).toBe(503);
      expect((await fetch(`${gw.url}/healthcheck`)).status).toBe(200); // the gateway itself is fine

      // once the cache entry ends, the cached token needs Keystone too
      await sleep(Math.max(0, validated + OUTAGE_TTL_MS + 300 - Date.now()));
      expect((await fetch(`${gw.url}/v2/images`, { headers: auth(cached) })).status).toBe(503);

      await startKeystone();
      expect((await fetch(`${gw.url}/v2/images`, { headers: auth(cached) })).status).toBe(200);
      expect((await fetch(`${gw.url}/v2/images`, { headers: auth(fresh) })).status).toBe(200);
      const created = await fetch(`${gw.url}/v2/images`, { method: 'POST', body: '{}', headers: auth(fresh) });
      expect(created.status).toBe(201);
      expect(((await created.json()) as { owner: string }).owner).toBe(ks.KEYSTONE_PROJECT_BETA_ID);
      expect(gw.logs.join('\n')).not.toContain(fresh);
    } finally {
      await gw.stop();
      await startKeystone(); // whatever happened, leave Keystone up for afterAll's cleanup
    }
  });
});
