/**
 * The gateway in upstream mode (GLANCE_GATEWAY_MODE=upstream) in front of a REAL Glance started
 * by test/glance/glance.sh (fresh state dir, free port), with Keystone from
 * test/keystone/keystone.sh for the keystone flavor. useUpstream() registers the file's
 * beforeAll/afterAll: everything it starts is stopped again, and afterAll checks that the
 * glance-api process is gone.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect } from 'vitest';
import { ROOT, freePort, removeTempDirs, startGateway, tempDir, type Gateway } from './gateway.js';
import { as, request } from './http.js';
import { noauthTarget, type Target, type UpstreamGlance, type Who } from './target.js';

const exec = promisify(execFile);
const GLANCE_SH = path.join(ROOT, 'test', 'glance', 'glance.sh');
const KEYSTONE_SH = path.join(ROOT, 'test', 'keystone', 'keystone.sh');
const LONG = { timeout: 900_000, maxBuffer: 64 * 1024 * 1024 };

export interface UpstreamOptions {
  flavor: 'noauth' | 'keystone';
  /** Extra gateway environment (e.g. GLANCE_GATEWAY_FETCH_ALLOW). */
  gatewayEnv?: Record<string, string>;
  /**
   * keystone flavor: the non-admin callers the scenarios ask for, as [label, roles]. Each gets
   * its own Keystone project `gg-<label>` and user (label 'admin': a user of the admin project).
   */
  callers?: Array<[string, string]>;
}

export interface Upstream {
  target: Target;
  glance: UpstreamGlance & { state: string; pid: number };
  gateway: Gateway;
}

/**
 * Deletes every image in the Glance directly (as its admin), so the next scenario's exact list
 * assertions see only its own images. Protected images are unprotected first.
 */
export async function wipeGlance(glance: UpstreamGlance): Promise<void> {
  const headers = glance.admin;
  for (;;) {
    const list = await request(glance.url, 'GET', '/v2/images?limit=100&member_status=all&visibility=all', { headers });
    if (list.status !== 200) throw new Error(`list ${list.status}: ${list.text}`);
    const images = list.json().images as Array<{ id: string; protected: boolean }>;
    if (images.length === 0) return;
    for (const img of images) {
      if (img.protected) {
        await request(glance.url, 'PATCH', `/v2/images/${img.id}`, {
          headers: { ...headers, 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
          body: JSON.stringify([{ op: 'replace', path: '/protected', value: false }]),
        });
      }
      const del = await request(glance.url, 'DELETE', `/v2/images/${img.id}`, { headers });
      if (del.status !== 204 && del.status !== 404) throw new Error(`delete ${img.id}: ${del.status} ${del.text}`);
    }
  }
}

/** The `export A=B ...` lines a script's `env` command prints, as a record. */
export async function scriptEnv(script: string, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const { stdout } = await exec('bash', [script, 'env'], { env });
  const out: Record<string, string> = {};
  for (const m of stdout.matchAll(/([A-Z_]+)=('[^']*'|\S+)/g)) out[m[1]!] = m[2]!.replace(/^'|'$/g, '');
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Registers the file's hooks; the returned getter is valid from the first test on. */
export function useUpstream(opts: UpstreamOptions): () => Upstream {
  let up: Upstream | undefined;
  let gw: Gateway | undefined;
  let glancePid = 0;
  let keystoneStarted = false;
  const glanceEnv: NodeJS.ProcessEnv = { ...process.env, GLANCE_FLAVOR: opts.flavor };

  beforeAll(async () => {
    glanceEnv.GLANCE_STATE = path.join(tempDir('glance'), 'state');
    glanceEnv.GLANCE_PORT = String(await freePort());
    let ks: Record<string, string> | undefined;
    if (opts.flavor === 'keystone') {
      await exec('bash', [KEYSTONE_SH, 'start'], { ...LONG, env: process.env });
      keystoneStarted = true;
      ks = await scriptEnv(KEYSTONE_SH, process.env);
      glanceEnv.KEYSTONE_URL = ks.KEYSTONE_URL;
    }
    await exec('bash', [GLANCE_SH, 'start'], { ...LONG, env: glanceEnv });
    const g = await scriptEnv(GLANCE_SH, glanceEnv);
    glancePid = Number((await exec('cat', [path.join(g.GLANCE_STATE!, 'glance-api.pid')])).stdout.trim());
    const authEnv: Record<string, string> = ks
      ? {
          GLANCE_GATEWAY_AUTH: 'keystone',
          GLANCE_GATEWAY_KEYSTONE_URL: ks.KEYSTONE_URL!,
          GLANCE_GATEWAY_KEYSTONE_USERNAME: ks.GLANCE_SERVICE_USER!,
          GLANCE_GATEWAY_KEYSTONE_PASSWORD: ks.GLANCE_SERVICE_PASSWORD!,
          GLANCE_GATEWAY_KEYSTONE_PROJECT: ks.GLANCE_SERVICE_PROJECT!,
        }
      : {};
    gw = await startGateway({
      env: { GLANCE_GATEWAY_MODE: 'upstream', GLANCE_GATEWAY_UPSTREAM_URL: g.GLANCE_URL!, ...authEnv, ...opts.gatewayEnv },
    });
    const tag = Math.random().toString(16).slice(2, 8);
    let target: Target;
    let glanceAdmin: Record<string, string>;
    if (ks) {
      const k = await keystoneCallers(ks, opts.callers ?? []);
      glanceAdmin = { 'X-Auth-Token': k.adminToken };
      target = {
        url: gw.url,
        auth: 'keystone',
        token: k.adminToken,
        adminProject: k.adminProject,
        admin: { 'X-Auth-Token': k.adminToken },
        who(label, roles = 'member') {
          const w = k.callers.get(`${label}:${roles}`);
          if (!w) throw new Error(`keystone caller ${label}:${roles} was not prepared (UpstreamOptions.callers)`);
          return w;
        },
      };
    } else {
      glanceAdmin = as('admin', 'admin', 'admin-user');
      target = noauthTarget(gw.url, tag);
    }
    const glance = { url: g.GLANCE_URL!, admin: glanceAdmin, state: g.GLANCE_STATE!, pid: glancePid };
    target.upstream = glance;
    up = { target, glance, gateway: gw };
  }, 900_000);

  afterAll(async () => {
    await gw?.stop();
    await exec('bash', [GLANCE_SH, 'stop'], { env: glanceEnv }).catch(() => undefined);
    if (keystoneStarted) await exec('bash', [KEYSTONE_SH, 'stop'], { env: process.env }).catch(() => undefined);
    removeTempDirs();
    // glance.sh stops exactly what it started: nothing of this file may keep running.
    if (glancePid) expect(alive(glancePid), `glance-api pid ${glancePid} still running`).toBe(false);
  }, 120_000);

  return () => {
    if (!up) throw new Error('upstream environment not started');
    return up;
  };
}

interface KeystoneCallers {
  adminToken: string;
  adminProject: string;
  callers: Map<string, Who>;
}

/** Tokens for the admin and for each [label, roles] caller (projects/users made as needed). */
async function keystoneCallers(ks: Record<string, string>, wanted: Array<[string, string]>): Promise<KeystoneCallers> {
  const url = ks.KEYSTONE_URL!;
  const call = async (method: string, p: string, token?: string, body?: unknown) => {
    const res = await fetch(`${url}${p}`, {
      method,
      headers: { 'Content-Type': 'application/json', ...(token ? { 'X-Auth-Token': token } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`keystone ${method} ${p}: ${res.status} ${text.slice(0, 300)}`);
    return { res, json: text ? JSON.parse(text) : null };
  };
  const tokenFor = async (user: string, password: string, project: string) => {
    const { res, json } = await call('POST', '/auth/tokens', undefined, {
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
        scope: { project: { name: project, domain: { id: 'default' } } },
      },
    });
    return { token: res.headers.get('x-subject-token')!, project: json.token.project.id as string };
  };
  const admin = await tokenFor(ks.KEYSTONE_ADMIN_USER!, ks.KEYSTONE_ADMIN_PASSWORD!, ks.KEYSTONE_ADMIN_PROJECT!);
  const ensure = async (kind: 'project' | 'user' | 'role', name: string, extra: object = {}) => {
    const found = (await call('GET', `/${kind}s?name=${encodeURIComponent(name)}`, admin.token)).json[`${kind}s`];
    if (found.length > 0) return found[0].id as string;
    return (await call('POST', `/${kind}s`, admin.token, { [kind]: { name, ...extra } })).json[kind].id as string;
  };
  const password = ks.KEYSTONE_USER_PASSWORD!;
  const callers = new Map<string, Who>();
  for (const [label, roles] of wanted) {
    const projectName = label === 'admin' ? ks.KEYSTONE_ADMIN_PROJECT! : `gg-${label}`;
    const projectId = await ensure('project', projectName, { domain_id: 'default' });
    const userName = `gg-${label}-${roles}`;
    const userId = await ensure('user', userName, { domain_id: 'default', password });
    for (const role of roles.split(',')) {
      const roleId = await ensure('role', role);
      await call('PUT', `/projects/${projectId}/users/${userId}/roles/${roleId}`, admin.token);
    }
    const t = await tokenFor(userName, password, projectName);
    callers.set(`${label}:${roles}`, { project: t.project, roles, headers: { 'X-Auth-Token': t.token }, token: t.token });
  }
  return { adminToken: admin.token, adminProject: admin.project, callers };
}
