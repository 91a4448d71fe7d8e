import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { startHarness, type Harness } from '../gateway/harness.js';
import { FakeKeystone } from './fake-keystone.js';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error(`never happened: ${what}`);
}

// "With a cold cache, one Keystone call per distinct token, never one per request": counted at
// the (stand-in) Keystone, through the whole gateway over HTTP, both dialects. The validation
// answers are held back until every request has reached the gateway, so the count proves
// that concurrent misses share one call (not merely that later requests hit the cache).
describe('keystone mode over HTTP: Keystone calls per token', () => {
  let h: Harness;
  let ks: FakeKeystone;
  let seen = 0;
  beforeAll(async () => {
    ks = new FakeKeystone({ now: Date.now() });
    const url = await ks.start();
    for (let i = 0; i < 4; i++) {
      ks.users.set(`cold-token-${i}`, { projectId: `p${i}`, userId: `u${i}`, roles: ['member'], expiresAt: Date.now() + 3_600_000 });
    }
    h = await startHarness({
      auth: {
        ...DEFAULT_CONFIG.auth,
        mode: 'keystone',
        keystone: { url, ...ks.credentials, userDomain: 'Default', projectDomain: 'Default', cacheTtlMs: 60_000, timeoutMs: 5000 },
      },
    });
    h.gateway.server.on('request', () => seen++);
  });
  afterAll(async () => {
    await h.stop();
    await ks.stop();
  });

  it('concurrent requests with new tokens: one validation per token, one service login', async () => {
    let release!: () => void;
    ks.validationGate = new Promise<void>((r) => (release = r));
    const gets0 = ks.gets;
    const posts0 = ks.posts;
    const seen0 = seen;
    const paths = ['/v2/images', '/v1/images', '/v1/images/detail', '/v2/schemas/image'];
    const requests: Array<Promise<Response>> = [];
    for (let t = 0; t < 4; t++) {
      for (let i = 0; i < 12; i++) {
        requests.push(fetch(`${h.url}${paths[i % paths.length]}`, { headers: { 'X-Auth-Token': `cold-token-${t}` } }));
      }
    }
    await until(() => seen - seen0 === requests.length, 'all requests reached the gateway');
    await until(() => ks.gets - gets0 >= 4, 'the validations reached Keystone');
    await new Promise((r) => setTimeout(r, 50)); // room for any extra (wrong) validation to show
    release();
    const responses = await Promise.all(requests);
    ks.validationGate = null;
    expect(responses.map((r) => r.status)).toEqual(requests.map(() => 200));
    expect(ks.gets - gets0).toBe(4);
    expect(ks.posts - posts0).toBe(1);

    // warm: many more requests, no more calls
    for (let i = 0; i < 20; i++) {
      expect((await fetch(`${h.url}/v1/images`, { method: 'HEAD', headers: { 'X-Auth-Token': `cold-token-${i % 4}` } })).status).toBe(200);
    }
    expect(ks.gets - gets0).toBe(4);
  });

  it('an unknown token: one validation however many concurrent requests carry it, then cached as invalid', async () => {
    let release!: () => void;
    ks.validationGate = new Promise<void>((r) => (release = r));
    const gets0 = ks.gets;
    const seen0 = seen;
    const requests = Array.from({ length: 20 }, (_, i) => fetch(`${h.url}/${i % 2 ? 'v1' : 'v2'}/images`, { headers: { 'X-Auth-Token': 'no-such-token' } }));
    await until(() => seen - seen0 === requests.length, 'all requests reached the gateway');
    await until(() => ks.gets - gets0 >= 1, 'the validation reached Keystone');
    await new Promise((r) => setTimeout(r, 50));
    release();
    const responses = await Promise.all(requests);
    ks.validationGate = null;
    expect(responses.map((r) => r.status)).toEqual(requests.map(() => 401));
    expect((await fetch(`${h.url}/v2/images`, { headers: { 'X-Auth-Token': 'no-such-token' } })).status).toBe(401);
    expect(ks.gets - gets0).toBe(1);
  });
});
