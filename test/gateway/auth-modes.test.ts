import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { FakeKeystone } from '../auth/fake-keystone.js';
import { startHarness, type Harness } from './harness.js';

// The modes wired end to end through the real gateway; the authenticators themselves are
// unit-tested in test/auth, and against a real Keystone in the identity interop suite.
describe('static token mode', () => {
  let h: Harness;
  beforeAll(async () => {
    const file = join(tmpdir(), `gg-tokens-${process.pid}.json`);
    await writeFile(file, JSON.stringify({ 'tok-alice': { project_id: 'p-alice', user_id: 'alice', roles: ['member'] } }));
    h = await startHarness({ auth: { ...DEFAULT_CONFIG.auth, mode: 'static', tokensFile: file } });
  });
  afterAll(() => h.stop());

  it('refuses a request without a token with 401 and no request id', async () => {
    const res = await fetch(`${h.url}/v2/images`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Static');
    expect(res.headers.get('x-openstack-request-id')).toBeNull();
  });

  it('runs a known token as its project, in both dialects', async () => {
    const created = await fetch(`${h.url}/v2/images`, { method: 'POST', body: '{}', headers: { 'X-Auth-Token': 'tok-alice' } });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { owner: string }).owner).toBe('p-alice');
    expect((await fetch(`${h.url}/v1/images`, { headers: { 'X-Auth-Token': 'tok-alice' } })).status).toBe(200);
    expect((await fetch(`${h.url}/v1/images`, { headers: { 'X-Auth-Token': 'nope' } })).status).toBe(401);
  });

  it('ignores noauth context headers', async () => {
    const res = await fetch(`${h.url}/v2/images`, { headers: { 'X-Project-Id': 'p-alice', 'X-Roles': 'admin' } });
    expect(res.status).toBe(401);
  });

  it('keeps the version document and healthcheck open', async () => {
    expect((await fetch(`${h.url}/`)).status).toBe(300);
    expect((await fetch(`${h.url}/healthcheck`)).status).toBe(200);
  });
});

describe('keystone mode (against a fake Keystone)', () => {
  let h: Harness;
  let ks: FakeKeystone;
  beforeAll(async () => {
    ks = new FakeKeystone({ now: Date.now() });
    const url = await ks.start();
    ks.users.set('user-token-1', { projectId: 'p1', userId: 'u1', roles: ['member'], expiresAt: Date.now() + 3600_000 });
    h = await startHarness({
      auth: {
        ...DEFAULT_CONFIG.auth,
        mode: 'keystone',
        keystone: { url, ...ks.credentials, userDomain: 'Default', projectDomain: 'Default', cacheTtlMs: 60_000, timeoutMs: 2000 },
      },
    });
  });
  afterAll(async () => {
    await h.stop();
    await ks.stop();
  });

  it('answers 401 with the Keystone challenge without a token', async () => {
    const res = await fetch(`${h.url}/v2/images`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Keystone uri="${ks.url.replace(/\/v3$/, '')}"`);
  });

  it('validates a token once and then serves from the cache', async () => {
    const before = ks.gets;
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${h.url}/v2/images`, { headers: { 'X-Auth-Token': 'user-token-1' } });
      expect(res.status).toBe(200);
    }
    expect(ks.gets - before).toBe(1);
    const created = await fetch(`${h.url}/v2/images`, { method: 'POST', body: '{}', headers: { 'X-Auth-Token': 'user-token-1' } });
    expect(((await created.json()) as { owner: string }).owner).toBe('p1');
  });

  it('never logs the token', async () => {
    await fetch(`${h.url}/v2/images`, { headers: { 'X-Auth-Token': 'user-token-1' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(h.logs.join('\n')).not.toContain('user-token-1');
    expect(h.logs.join('\n')).not.toContain(ks.credentials.password);
  });
});
