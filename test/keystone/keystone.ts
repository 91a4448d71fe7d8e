/**
 * Test-side helpers for the real Keystone that keystone.sh runs: start/stop it, read its env,
 * obtain tokens, grant roles and register catalog endpoints through the identity API.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const KEYSTONE_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'keystone.sh');

export type KeystoneEnv = Record<string, string>;

/**
 * `keystone.sh start` (idempotent; restarts when the token expiration differs) and its env.
 * `tokenExpirationS` sets Keystone's `[token] expiration` for this run.
 */
export async function startKeystone(tokenExpirationS = 3600): Promise<KeystoneEnv> {
  await run('bash', [KEYSTONE_SCRIPT, 'start'], {
    timeout: 900_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, KEYSTONE_TOKEN_EXPIRATION: String(tokenExpirationS) },
  });
  return keystoneEnv();
}

export async function stopKeystone(): Promise<void> {
  await run('bash', [KEYSTONE_SCRIPT, 'stop'], { timeout: 120_000 });
}

/** The exports `keystone.sh env` prints, as a record. */
export async function keystoneEnv(): Promise<KeystoneEnv> {
  const { stdout } = await run('bash', [KEYSTONE_SCRIPT, 'env']);
  const env: KeystoneEnv = {};
  for (const m of stdout.matchAll(/([A-Z_]+)=('[^']*'|\S+)/g)) env[m[1]!] = m[2]!.replace(/^'|'$/g, '');
  return env;
}

/** The gateway's environment for keystone mode against this Keystone (glance service user). */
export function gatewayEnv(ks: KeystoneEnv, cacheTtlMs?: number): Record<string, string> {
  return {
    GLANCE_GATEWAY_AUTH: 'keystone',
    GLANCE_GATEWAY_KEYSTONE_URL: ks.KEYSTONE_URL!,
    GLANCE_GATEWAY_KEYSTONE_USERNAME: ks.GLANCE_SERVICE_USER!,
    GLANCE_GATEWAY_KEYSTONE_PASSWORD: ks.GLANCE_SERVICE_PASSWORD!,
    GLANCE_GATEWAY_KEYSTONE_PROJECT: ks.GLANCE_SERVICE_PROJECT!,
    ...(cacheTtlMs !== undefined ? { GLANCE_GATEWAY_KEYSTONE_TOKEN_CACHE_TTL_MS: String(cacheTtlMs) } : {}),
  };
}

export interface IssuedToken {
  token: string;
  expiresAt: number;
}

/** Password authentication scoped to a project: the token and its expiry. */
export async function issueToken(ks: KeystoneEnv, user: string, project: string, password: string): Promise<IssuedToken> {
  const res = await fetch(`${ks.KEYSTONE_URL}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
        scope: { project: { name: project, domain: { name: 'Default' } } },
      },
    }),
  });
  if (res.status !== 201) throw new Error(`token for ${user}: ${res.status}`);
  const body = (await res.json()) as { token: { expires_at: string } };
  return { token: res.headers.get('x-subject-token')!, expiresAt: Date.parse(body.token.expires_at) };
}

export async function token(ks: KeystoneEnv, user: string, project: string, password: string): Promise<string> {
  return (await issueToken(ks, user, project, password)).token;
}

export function userToken(ks: KeystoneEnv, user: 'alice' | 'bob' | 'rita'): Promise<string> {
  return token(ks, user, { alice: 'alpha', bob: 'beta', rita: 'alpha' }[user], ks.KEYSTONE_USER_PASSWORD!);
}

export function adminToken(ks: KeystoneEnv): Promise<string> {
  return token(ks, ks.KEYSTONE_ADMIN_USER!, ks.KEYSTONE_ADMIN_PROJECT!, ks.KEYSTONE_ADMIN_PASSWORD!);
}

/** One identity API call as admin; throws unless the status is one of `ok`. */
export async function identity(
  ks: KeystoneEnv,
  admin: string,
  method: string,
  p: string,
  body?: unknown,
  ok: number[] = [200, 201, 204],
): Promise<any> {
  const res = await fetch(`${ks.KEYSTONE_URL}${p}`, {
    method,
    headers: { 'X-Auth-Token': admin, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!ok.includes(res.status)) throw new Error(`${method} ${p}: ${res.status} ${text.slice(0, 300)}`);
  return text === '' ? null : JSON.parse(text);
}

export async function roleId(ks: KeystoneEnv, admin: string, name: string): Promise<string> {
  const { roles } = (await identity(ks, admin, 'GET', `/roles?name=${name}`)) as { roles: Array<{ id: string }> };
  if (roles[0] === undefined) throw new Error(`no role ${name}`);
  return roles[0].id;
}

/** Grants (`PUT`) or removes (`DELETE`) a role of a user on a project. */
export async function setRole(ks: KeystoneEnv, admin: string, grant: boolean, project: string, user: string, role: string): Promise<void> {
  await identity(ks, admin, grant ? 'PUT' : 'DELETE', `/projects/${project}/users/${user}/roles/${role}`, undefined, grant ? [204] : [204, 404]);
}

/**
 * Points the catalog's `image` service at `url` (public, internal and admin endpoints), after
 * removing every image endpoint (ours from an earlier, interrupted run). Returns a cleanup.
 */
export async function registerImageEndpoints(ks: KeystoneEnv, admin: string, url: string): Promise<() => Promise<void>> {
  const { services } = (await identity(ks, admin, 'GET', '/services?type=image')) as { services: Array<{ id: string }> };
  const service = services[0]?.id;
  if (service === undefined) throw new Error('keystone.sh registers an image service; none found');
  const removeAll = async () => {
    const { endpoints } = (await identity(ks, admin, 'GET', `/endpoints?service_id=${service}`)) as { endpoints: Array<{ id: string }> };
    for (const e of endpoints) await identity(ks, admin, 'DELETE', `/endpoints/${e.id}`, undefined, [204, 404]);
  };
  await removeAll();
  for (const iface of ['public', 'internal', 'admin']) {
    await identity(ks, admin, 'POST', '/endpoints', {
      endpoint: { service_id: service, interface: iface, url, region_id: ks.KEYSTONE_REGION ?? 'RegionOne', enabled: true },
    });
  }
  return removeAll;
}
