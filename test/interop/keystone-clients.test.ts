import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, gatewayEnv, registerImageEndpoints, startKeystone, stopKeystone, type KeystoneEnv } from '../keystone/keystone.js';
import { ok, okJson, parseDict, parseList, underTty } from './clients.js';
import { describeRun, GLANCE, OPENSTACK, PY, removeTempDirs, runClient, startGateway, tempDir, type Gateway, type RunResult } from './gateway.js';

const SDK = path.join(path.dirname(new URL(import.meta.url).pathname), 'keystone_sdk.py');

// The real clients authenticating with passwords through the REAL Keystone, which hands them
// the gateway's URL from its catalog: no --os-image-url, no endpoint override, no token flags.
describe('real clients through Keystone, the gateway found in the catalog', () => {
  let ks: KeystoneEnv;
  let gw: Gateway;
  let unregister: (() => Promise<void>) | undefined;
  let file: string;
  let md5: string;
  const SIZE = 300_000;

  /** OS_* for a user (password auth, v3, RegionOne, public interface). */
  const osEnv = (user: 'alice' | 'bob'): Record<string, string> => ({
    OS_AUTH_URL: ks.KEYSTONE_URL!,
    OS_IDENTITY_API_VERSION: '3',
    OS_USERNAME: user,
    OS_PASSWORD: ks.KEYSTONE_USER_PASSWORD!,
    OS_PROJECT_NAME: user === 'alice' ? 'alpha' : 'beta',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: ks.KEYSTONE_REGION ?? 'RegionOne',
    OS_INTERFACE: 'public',
  });
  const os = (user: 'alice' | 'bob', ...args: string[]) => runClient(OPENSTACK, args, { env: osEnv(user), timeoutMs: 180_000 });
  const glance = (user: 'alice' | 'bob', ...args: string[]) => runClient(GLANCE, args, { env: osEnv(user), timeoutMs: 180_000 });
  /** glanceclient v1 create/update read stdin as image data unless it is a terminal. */
  const glanceV1Tty = async (user: 'alice' | 'bob', ...args: string[]): Promise<RunResult> => {
    const envPrefix = Object.entries(osEnv(user)).map(([k, v]) => `${k}=${v}`);
    return underTty('/usr/bin/env', [...envPrefix, GLANCE, '--os-image-api-version', '1', ...args], 180_000);
  };
  const failed = (r: RunResult) => {
    expect(r.code, describeRun(r)).not.toBe(0);
    return `${r.stdout}\n${r.stderr}`;
  };

  beforeAll(async () => {
    ks = await startKeystone();
    gw = await startGateway({ env: gatewayEnv(ks) });
    unregister = await registerImageEndpoints(ks, await adminToken(ks), gw.url);
    file = path.join(tempDir('ks-clients'), 'image.raw');
    const data = randomBytes(SIZE);
    writeFileSync(file, data);
    md5 = createHash('md5').update(data).digest('hex');
  }, 900_000);

  afterAll(async () => {
    await unregister?.().catch(() => undefined);
    await gw?.stop();
    await stopKeystone().catch(() => undefined);
    removeTempDirs();
  });

  it('openstackclient: image create/show/list/delete (v2) as alice; bob in beta cannot see it', async () => {
    const created = okJson(await os('alice', 'image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, '--private', '--property', 'team=alpha', 'ks-osc-img', '-f', 'json'));
    const id = created.id as string;
    const shown = okJson(await os('alice', 'image', 'show', id, '-f', 'json'));
    expect(shown).toMatchObject({ id, name: 'ks-osc-img', status: 'active', size: SIZE, checksum: md5, visibility: 'private', owner: ks.KEYSTONE_PROJECT_ALPHA_ID });
    expect(shown.properties.team).toBe('alpha');
    const listed = okJson(await os('alice', 'image', 'list', '-f', 'json')) as Array<{ ID: string }>;
    expect(listed.map((i) => i.ID)).toContain(id);

    expect(failed(await os('bob', 'image', 'show', id))).toMatch(/No Image found|Could not find|404/);
    expect((okJson(await os('bob', 'image', 'list', '-f', 'json')) as Array<{ ID: string }>).map((i) => i.ID)).not.toContain(id);
    failed(await os('bob', 'image', 'delete', id));

    ok(await os('alice', 'image', 'delete', id));
    failed(await os('alice', 'image', 'show', id));
  });

  it('glanceclient v2: image-create --file, image-show, image-download, image-delete; bob gets 404', async () => {
    const created = parseDict(ok(await glance('alice', 'image-create', '--name', 'ks-gc2-img', '--disk-format', 'raw', '--container-format', 'bare', '--visibility', 'private', '--file', file)).stdout);
    const id = created.id!;
    const shown = parseDict(ok(await glance('alice', 'image-show', id)).stdout);
    expect(shown).toMatchObject({ name: 'ks-gc2-img', status: 'active', size: String(SIZE), checksum: md5, visibility: 'private', owner: ks.KEYSTONE_PROJECT_ALPHA_ID });
    const out = path.join(path.dirname(file), 'gc2.out');
    ok(await glance('alice', 'image-download', '--file', out, id));
    expect(createHash('md5').update(readFileSync(out)).digest('hex')).toBe(md5);
    expect(parseList(ok(await glance('alice', 'image-list')).stdout).map((r) => r.ID)).toContain(id);

    expect(failed(await glance('bob', 'image-show', id))).toMatch(/404|No image with a name or ID/);
    expect(parseList(ok(await glance('bob', 'image-list')).stdout).map((r) => r.ID)).not.toContain(id);

    ok(await glance('alice', 'image-delete', id));
    failed(await glance('alice', 'image-show', id));
  });

  it('glanceclient v1 (--os-image-api-version 1): create with data, show, list, delete; bob gets 404', async () => {
    const created = parseDict(ok(await glanceV1Tty('alice', 'image-create', '--name', 'ks-gc1-img', '--disk-format', 'raw', '--container-format', 'bare', '--is-public', 'False', '--file', file)).stdout);
    const id = created.id!;
    expect(created).toMatchObject({ name: 'ks-gc1-img', status: 'active', size: String(SIZE), checksum: md5, is_public: 'False', owner: ks.KEYSTONE_PROJECT_ALPHA_ID });
    const v1 = (user: 'alice' | 'bob', ...args: string[]) => glance(user, '--os-image-api-version', '1', ...args);
    const shown = parseDict(ok(await v1('alice', 'image-show', id)).stdout);
    expect(shown).toMatchObject({ id, checksum: md5, size: String(SIZE), owner: ks.KEYSTONE_PROJECT_ALPHA_ID });
    expect(parseList(ok(await v1('alice', 'image-list')).stdout).map((r) => r.ID)).toContain(id);

    expect(failed(await v1('bob', 'image-show', id))).toMatch(/404|No image with a name or ID/);
    expect(parseList(ok(await v1('bob', 'image-list')).stdout).map((r) => r.ID)).not.toContain(id);

    ok(await v1('alice', 'image-delete', id));
    failed(await v1('alice', 'image-show', id));
  });

  it('openstacksdk: connect() from OS_* variables, create with data, update, download; bob cannot get, list or delete it', async () => {
    const r = await runClient(PY, [SDK, file], { env: osEnv('alice'), timeoutMs: 180_000 });
    const obs = JSON.parse(ok(r).stdout.trim().split('\n').pop()!);
    expect(obs.endpoint.value.replace(/\/+$/, '')).toMatch(new RegExp(`^${gw.url}(/v2)?$`));
    expect(obs.project.value).toBe(ks.KEYSTONE_PROJECT_ALPHA_ID);
    expect(obs.create).toMatchObject({ ok: true, value: { name: 'ks-sdk-img', status: 'active', size: SIZE, checksum: md5, visibility: 'private', owner_id: ks.KEYSTONE_PROJECT_ALPHA_ID } });
    const id = obs.create.value.id as string;
    expect(obs.list.value).toContain(id);
    expect(obs.update).toMatchObject({ ok: true });
    expect(obs.download).toEqual({ ok: true, value: md5 });

    const probe = JSON.parse(ok(await runClient(PY, [SDK, '--probe', id], { env: osEnv('bob'), timeoutMs: 180_000 })).stdout.trim().split('\n').pop()!);
    expect(probe.project.value).toBe(ks.KEYSTONE_PROJECT_BETA_ID);
    expect(probe.get).toMatchObject({ ok: false, status: 404 });
    expect(probe.list.value).not.toContain(id);
    expect(probe.delete).toMatchObject({ ok: false, status: 404 });

    // alice's image is still there and intact
    const still = okJson(await os('alice', 'image', 'show', id, '-f', 'json'));
    expect(still).toMatchObject({ status: 'active', checksum: md5, min_ram: 64 });
  });

  it('never writes a password or token to the gateway log', () => {
    const log = gw.logs.join('\n');
    expect(log).not.toContain(ks.KEYSTONE_USER_PASSWORD!);
    expect(log).not.toContain(ks.GLANCE_SERVICE_PASSWORD!);
    expect(log).not.toMatch(/gAAAAA[A-Za-z0-9_-]{40,}/); // fernet tokens
  });
});
