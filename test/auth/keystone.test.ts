import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientAbortError, ServiceUnavailableError, UnauthorizedError } from '../../src/core/errors.js';
import { KeystoneAuthenticator, type KeystoneAuthenticatorOptions } from '../../src/http/auth/keystone.js';
import { deadUrl, FakeKeystone } from './fake-keystone.js';

const USER_TOKEN = 'gAAAAABuser-token-XYZ-0123456789';
const never = new AbortController().signal;

let clock: { now: number };
let ks: FakeKeystone;
const created: KeystoneAuthenticator[] = [];

function make(overrides: Partial<KeystoneAuthenticatorOptions> = {}): KeystoneAuthenticator {
  const a = new KeystoneAuthenticator({
    url: ks.url,
    username: ks.credentials.username,
    password: ks.credentials.password,
    project: ks.credentials.project,
    now: () => clock.now,
    timeoutMs: 1000,
    ...overrides,
  });
  created.push(a);
  return a;
}

const auth = (a: KeystoneAuthenticator, token?: string, signal = never) =>
  a.authenticate(token === undefined ? {} : { 'x-auth-token': token }, 'req-1', signal);

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** Everything an error could leak through: message, stack, headers, cause chain, enumerable fields. */
function everything(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur !== undefined && cur !== null; i++) {
    if (cur instanceof Error) {
      parts.push(cur.message, cur.stack ?? '', JSON.stringify(cur), JSON.stringify((cur as { headers?: unknown }).headers ?? {}));
      cur = cur.cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return parts.join('\n');
}

beforeEach(async () => {
  clock = { now: Date.parse('2026-11-23T06:00:00Z') };
  ks = new FakeKeystone(clock);
  await ks.start();
  ks.users.set(USER_TOKEN, { projectId: 'proj-1', userId: 'user-1', roles: ['Member', 'reader'], expiresAt: clock.now + 3_600_000 });
});

afterEach(async () => {
  await Promise.all(created.splice(0).map((a) => a.close()));
  await ks.stop();
});

describe('KeystoneAuthenticator', () => {
  it('validates a token into a context (roles lower-cased, token kept for forwarding)', async () => {
    const a = make();
    const ctx = await auth(a, USER_TOKEN);
    expect(ctx).toEqual({
      projectId: 'proj-1',
      userId: 'user-1',
      roles: ['member', 'reader'],
      isAdmin: false,
      requestId: 'req-1',
      readOnly: false,
      authToken: USER_TOKEN,
    });
    // Service token: password auth scoped to the configured project, default domains.
    expect(ks.lastAuthBody).toEqual({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'glance', domain: { name: 'Default' }, password: 's3cret-service-pw' } },
        },
        scope: { project: { name: 'service', domain: { name: 'Default' } } },
      },
    });
    expect(a.stats()).toEqual({ keystoneCalls: 2, cacheHits: 0, cacheMisses: 1 });
  });

  it('admin role ⇒ isAdmin', async () => {
    ks.users.set('admin-tok', { projectId: 'p', userId: 'u', roles: ['ADMIN'], expiresAt: clock.now + 3_600_000 });
    const ctx = await auth(make(), 'admin-tok');
    expect(ctx.isAdmin).toBe(true);
    expect(ctx.roles).toEqual(['admin']);
  });

  it('a cache hit makes no second Keystone call', async () => {
    const a = make();
    await auth(a, USER_TOKEN);
    const ctx = await auth(a, USER_TOKEN);
    expect(ctx.userId).toBe('user-1');
    expect(ks.gets).toBe(1);
    expect(ks.posts).toBe(1);
    expect(a.stats()).toEqual({ keystoneCalls: 2, cacheHits: 1, cacheMisses: 1 });
  });

  it('coalesces concurrent first requests for one token into one validation call', async () => {
    const a = make();
    const results = await Promise.all(Array.from({ length: 50 }, () => auth(a, USER_TOKEN)));
    expect(results.every((c) => c.userId === 'user-1')).toBe(true);
    expect(ks.gets).toBe(1);
    expect(ks.posts).toBe(1);
  });

  it('concurrent different tokens share one service-token authentication', async () => {
    for (let i = 0; i < 20; i++) {
      ks.users.set(`tok-${i}`, { projectId: 'p', userId: `u${i}`, roles: [], expiresAt: clock.now + 3_600_000 });
    }
    const a = make();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => auth(a, `tok-${i}`)));
    expect(results.map((c) => c.userId)).toEqual(Array.from({ length: 20 }, (_, i) => `u${i}`));
    expect(ks.posts).toBe(1);
    expect(ks.gets).toBe(20);
  });

  it('a role change becomes visible only after the cache TTL', async () => {
    const a = make({ cacheTtlMs: 60_000 });
    expect((await auth(a, USER_TOKEN)).roles).toEqual(['member', 'reader']);
    ks.users.set(USER_TOKEN, { projectId: 'proj-1', userId: 'user-1', roles: ['admin'], expiresAt: clock.now + 3_600_000 });
    clock.now += 59_000;
    expect((await auth(a, USER_TOKEN)).isAdmin).toBe(false);
    expect(ks.gets).toBe(1);
    clock.now += 2_000;
    const ctx = await auth(a, USER_TOKEN);
    expect(ctx.isAdmin).toBe(true);
    expect(ks.gets).toBe(2);
  });

  it('a valid token is cached no longer than its own expiry', async () => {
    ks.users.set('short', { projectId: 'p', userId: 'u', roles: [], expiresAt: clock.now + 5_000 });
    const a = make({ cacheTtlMs: 300_000 });
    await auth(a, 'short');
    clock.now += 4_000;
    await auth(a, 'short');
    expect(ks.gets).toBe(1);
    clock.now += 2_000; // past the token's expiry: asks again, Keystone now says expired
    const e = await caught(auth(a, 'short'));
    expect(e).toBeInstanceOf(UnauthorizedError);
    expect(ks.gets).toBe(2);
  });

  it('missing token → 401 with WWW-Authenticate, no Keystone call', async () => {
    const a = make();
    const e = await caught(auth(a));
    expect(e).toBeInstanceOf(UnauthorizedError);
    const err = e as UnauthorizedError;
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/^This server could not verify that you are authorized/);
    expect(err.headers).toEqual({ 'WWW-Authenticate': `Keystone uri="${ks.url.replace(/\/v3$/, '')}"` });
    expect(ks.posts + ks.gets).toBe(0);
    expect(await caught(a.authenticate({ 'x-auth-token': '   ' }, 'r', never))).toBeInstanceOf(UnauthorizedError);
  });

  it('wwwAuthenticateUri overrides the advertised identity uri', async () => {
    const e = (await caught(auth(make({ wwwAuthenticateUri: 'https://keystone.example.com/identity' })))) as UnauthorizedError;
    expect(e.headers['WWW-Authenticate']).toBe('Keystone uri="https://keystone.example.com/identity"');
  });

  it('invalid token → 401, cached for invalidTtlMs only', async () => {
    const a = make({ invalidTtlMs: 10_000 });
    const e = (await caught(auth(a, 'bogus-token'))) as UnauthorizedError;
    expect(e).toBeInstanceOf(UnauthorizedError);
    expect(e.headers['WWW-Authenticate']).toMatch(/^Keystone uri="http:\/\/127\.0\.0\.1:\d+"$/);
    expect(ks.gets).toBe(1);
    await caught(auth(a, 'bogus-token'));
    expect(ks.gets).toBe(1); // cached negative
    // The token becomes valid in Keystone; still refused until the negative entry expires.
    ks.users.set('bogus-token', { projectId: 'p', userId: 'u', roles: [], expiresAt: clock.now + 3_600_000 });
    clock.now += 9_000;
    expect(await caught(auth(a, 'bogus-token'))).toBeInstanceOf(UnauthorizedError);
    clock.now += 2_000;
    expect((await auth(a, 'bogus-token')).userId).toBe('u');
    expect(ks.gets).toBe(2);
  });

  it('malformed token (control characters, huge) → 401 without calling Keystone', async () => {
    const a = make();
    expect(await caught(auth(a, 'abc\u0001def'))).toBeInstanceOf(UnauthorizedError);
    expect(await caught(auth(a, 'x'.repeat(20_000)))).toBeInstanceOf(UnauthorizedError);
    expect(ks.gets).toBe(0);
  });

  it('expired token (expires_at in the past) → 401', async () => {
    ks.users.set('old', { projectId: 'p', userId: 'u', roles: [], expiresAt: clock.now - 1_000 });
    const a = make();
    expect(await caught(auth(a, 'old'))).toBeInstanceOf(UnauthorizedError);
  });

  it('renews the service token before it expires', async () => {
    ks.serviceTokenLifetimeMs = 120_000;
    ks.users.set('t2', { projectId: 'p', userId: 'u2', roles: [], expiresAt: clock.now + 3_600_000 });
    const a = make();
    await auth(a, USER_TOKEN);
    expect(ks.posts).toBe(1);
    clock.now += 30_000; // 90 s left: still used
    ks.users.set('t3', { projectId: 'p', userId: 'u3', roles: [], expiresAt: clock.now + 3_600_000 });
    await auth(a, 't3');
    expect(ks.posts).toBe(1);
    clock.now += 35_000; // 55 s left (< 60 s): renewed before use
    await auth(a, 't2');
    expect(ks.posts).toBe(2);
    expect(ks.gets).toBe(3);
  });

  it('renews the service token once after a 401 from validation', async () => {
    const a = make();
    await auth(a, USER_TOKEN);
    ks.revokeServiceTokens();
    ks.users.set('t2', { projectId: 'p', userId: 'u2', roles: [], expiresAt: clock.now + 3_600_000 });
    const ctx = await auth(a, 't2');
    expect(ctx.userId).toBe('u2');
    expect(ks.posts).toBe(2);
    expect(ks.gets).toBe(3); // 1 + (401, retry)
  });

  it('service credentials rejected → 503 (never an open door)', async () => {
    const a = make({ password: 'wrong-password' });
    const e = (await caught(auth(a, USER_TOKEN))) as ServiceUnavailableError;
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect(e.status).toBe(503);
    expect((e.cause as Error).message).toMatch(/service credentials rejected/);
  });

  it('Keystone answering 5xx → 503, not cached; recovers when Keystone does', async () => {
    const a = make();
    ks.mode = 'error';
    const e = (await caught(auth(a, USER_TOKEN))) as ServiceUnavailableError;
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect(e.message).toBe('The Keystone service is temporarily unavailable.');
    ks.mode = 'ok';
    expect((await auth(a, USER_TOKEN)).userId).toBe('user-1');
  });

  it('Keystone unreachable → 503, then recovery once it is back', async () => {
    const a = make();
    await auth(a, USER_TOKEN); // service token obtained
    await ks.stop();
    ks.users.set('t2', { projectId: 'p', userId: 'u2', roles: [], expiresAt: clock.now + 3_600_000 });
    const e = (await caught(auth(a, 't2'))) as ServiceUnavailableError;
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect((e.cause as Error).message).toMatch(/ECONNREFUSED|failed/);
    // Cached valid tokens keep working while Keystone is down.
    expect((await auth(a, USER_TOKEN)).userId).toBe('user-1');
    // Back on another port (restart): a new authenticator against it works.
    ks = new FakeKeystone(clock);
    await ks.start();
    ks.users.set('t2', { projectId: 'p', userId: 'u2', roles: [], expiresAt: clock.now + 3_600_000 });
    expect((await auth(make(), 't2')).userId).toBe('u2');
  });

  it('nothing listening at all → 503', async () => {
    const a = make({ url: await deadUrl() });
    expect(await caught(auth(a, USER_TOKEN))).toBeInstanceOf(ServiceUnavailableError);
  });

  it('Keystone hanging → 503 after timeoutMs; recovers afterwards', async () => {
    const a = make({ timeoutMs: 200 });
    ks.mode = 'hang';
    const t0 = Date.now();
    const e = (await caught(auth(a, USER_TOKEN))) as ServiceUnavailableError;
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect((e.cause as Error).message).toMatch(/timed out after 200 ms/);
    expect(Date.now() - t0).toBeLessThan(2_000);
    ks.mode = 'ok';
    expect((await auth(a, USER_TOKEN)).userId).toBe('user-1');
  });

  it("honours the request's AbortSignal without failing other waiters", async () => {
    const a = make({ timeoutMs: 500 });
    await auth(a, 'warm-up').catch(() => undefined); // service token
    ks.mode = 'hang';
    const ac = new AbortController();
    const aborted = auth(a, USER_TOKEN, ac.signal);
    const other = auth(a, USER_TOKEN);
    setTimeout(() => ac.abort(), 50);
    const t0 = Date.now();
    expect(await caught(aborted)).toBeInstanceOf(ClientAbortError);
    expect(Date.now() - t0).toBeLessThan(400);
    // The other waiter still gets the shared outcome (here: the timeout's 503).
    expect(await caught(other)).toBeInstanceOf(ServiceUnavailableError);
    const pre = new AbortController();
    pre.abort();
    expect(await caught(auth(a, USER_TOKEN, pre.signal))).toBeInstanceOf(ClientAbortError);
  });

  it('tokens and the service password never appear in errors', async () => {
    const a = make({ timeoutMs: 200 });
    const errors: unknown[] = [];
    errors.push(await caught(auth(a, 'secret-invalid-token-123')));
    ks.users.set('secret-expired-token-456', { projectId: 'p', userId: 'u', roles: [], expiresAt: clock.now - 1 });
    errors.push(await caught(auth(a, 'secret-expired-token-456')));
    ks.mode = 'error';
    errors.push(await caught(auth(a, 'secret-5xx-token-789')));
    ks.mode = 'hang';
    errors.push(await caught(auth(a, 'secret-hang-token-000')));
    ks.mode = 'ok';
    errors.push(await caught(auth(make({ password: 's3cret-wrong-pw' }), 'secret-badsvc-token-111')));
    const dead = make({ url: await deadUrl() });
    errors.push(await caught(auth(dead, 'secret-dead-token-222')));
    expect(errors.map((e) => (e as Error).constructor.name)).toEqual([
      'UnauthorizedError',
      'UnauthorizedError',
      'ServiceUnavailableError',
      'ServiceUnavailableError',
      'ServiceUnavailableError',
      'ServiceUnavailableError',
    ]);
    for (const e of errors) {
      const text = everything(e);
      expect(text).not.toMatch(/secret-[a-z0-9]+-token/);
      expect(text).not.toContain('s3cret-service-pw');
      expect(text).not.toContain('s3cret-wrong-pw');
      expect(text).not.toMatch(/svc-token-\d/);
    }
  });

  it('bounds the cache by count', async () => {
    const a = make({ cacheSize: 2 });
    for (const t of ['a1', 'a2', 'a3']) {
      ks.users.set(t, { projectId: 'p', userId: t, roles: [], expiresAt: clock.now + 3_600_000 });
      await auth(a, t);
    }
    await auth(a, 'a1'); // evicted → asks again
    expect(ks.gets).toBe(4);
    await auth(a, 'a3');
    expect(ks.gets).toBe(4);
  });

  it('rejects bad options', () => {
    expect(() => new KeystoneAuthenticator({ url: 'nope', username: 'u', password: 'p', project: 'x' })).toThrow(/invalid identity url/);
    expect(() => new KeystoneAuthenticator({ url: 'http://k/v3', username: '', password: 'p', project: 'x' })).toThrow(/username/);
  });
});
