/**
 * Upstream mode with local authentication (static tokens here; Keystone works the same way):
 * the gateway validates, forwards the caller's token and the context it vouches for, drops
 * forged identity and hop-by-hop headers, adds Via, correlates request ids in its log, never
 * logs the token, and reports the upstream's health.
 */
import { writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { FakeKeystone } from '../auth/fake-keystone.js';
import { startPair, type UpstreamPair } from './fixture.js';

const TOKEN = 'tok-alice-0123456789';
const ALICE = { 'X-Auth-Token': TOKEN };

let pair: UpstreamPair;
beforeAll(async () => {
  const file = join(tmpdir(), `gg-up-tokens-${process.pid}.json`);
  await writeFile(file, JSON.stringify({ [TOKEN]: { project_id: 'p-alice', user_id: 'alice', roles: ['member'] } }));
  pair = await startPair({ front: { auth: { ...DEFAULT_CONFIG.auth, mode: 'static', tokensFile: file } } });
});
afterAll(async () => {
  await pair.stop();
});

const lastReceived = (prefix: string) => [...pair.received].reverse().find((r) => r.line.startsWith(prefix))!;

describe('authentication in front of the upstream', () => {
  it('refuses a missing or unknown token locally, without asking the upstream', async () => {
    const before = pair.seen.length;
    expect((await fetch(`${pair.front.url}/v2/images`)).status).toBe(401);
    expect((await fetch(`${pair.front.url}/v1/images`, { headers: { 'X-Auth-Token': 'nope' } })).status).toBe(401);
    expect(pair.seen.length).toBe(before);
  });

  it('runs the caller as its project in both dialects, forwarding token and vouched context', async () => {
    const v2 = await fetch(`${pair.front.url}/v2/images`, {
      method: 'POST',
      headers: { ...ALICE, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'mine' }),
    });
    expect(v2.status).toBe(201);
    expect(((await v2.json()) as { owner: string }).owner).toBe('p-alice');
    const sent = lastReceived('POST /v2/images').headers;
    expect(sent['x-auth-token']).toBe(TOKEN);
    expect(sent['x-project-id']).toBe('p-alice');
    expect(sent['x-user-id']).toBe('alice');
    expect(sent['x-roles']).toBe('member');
    expect(sent['x-identity-status']).toBe('Confirmed');
    const v1 = await fetch(`${pair.front.url}/v1/images`, { method: 'POST', headers: { ...ALICE, 'x-image-meta-name': 'v1' } });
    expect(v1.status).toBe(201);
    expect(((await v1.json()) as { image: { owner: string } }).image.owner).toBe('p-alice');
    expect(lastReceived('POST /v2/images').headers['x-auth-token']).toBe(TOKEN);
  });

  it('drops forged identity headers: a member cannot claim admin through the proxy', async () => {
    const r = await fetch(`${pair.front.url}/v2/images`, {
      method: 'POST',
      headers: { ...ALICE, 'X-Roles': 'admin', 'X-Project-Id': 'victim', 'X-Identity-Status': 'Confirmed', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'forged', visibility: 'public' }),
    });
    expect(r.status).toBe(403);
    const sent = lastReceived('POST /v2/images').headers;
    expect(sent['x-roles']).toBe('member');
    expect(sent['x-project-id']).toBe('p-alice');
  });

  it('strips hop-by-hop headers (also those named in Connection) and adds Via both ways', async () => {
    // node:http, since fetch refuses to send a Connection header.
    const r = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${pair.front.url}/v2/images?limit=1`, {
        headers: { ...ALICE, Connection: 'keep-alive, x-hop', 'X-Hop': 'secret', 'X-Custom': 'kept' },
        agent: false,
      });
      req.on('response', resolve).on('error', reject).end();
    });
    r.resume();
    expect(r.statusCode).toBe(200);
    const sent = lastReceived('GET /v2/images?limit=1').headers;
    expect(sent['x-hop']).toBeUndefined();
    expect(sent['x-custom']).toBe('kept');
    expect(String(sent.via)).toMatch(/^1\.1 glance-gateway-/);
    expect(String(r.headers.via)).toMatch(/1\.1 glance-gateway-/);
  });

  it('logs both request ids for a proxied request, and never the token', async () => {
    const r = await fetch(`${pair.front.url}/v2/images`, { headers: { ...ALICE, 'X-Openstack-Request-ID': 'req-correlate-me' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-openstack-request-id')).toBe('req-correlate-me');
    expect(lastReceived('GET /v2/images').headers['x-openstack-request-id']).toBe('req-correlate-me');
    // The line is written when the response closes, which may be just after the client has it.
    const find = () => pair.front.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.request_id === 'req-correlate-me');
    for (let i = 0; i < 100 && find() === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const line = find();
    expect(line).toMatchObject({ msg: 'request', status: 200, upstream_request_id: 'req-correlate-me', project_id: 'p-alice' });
    expect(pair.front.logs.join('\n')).not.toContain(TOKEN);
  });
});

describe('/healthcheck in upstream mode', () => {
  it('is 200 while the upstream answers and 503 once it is gone', async () => {
    const ok = await fetch(`${pair.front.url}/healthcheck`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('OK');
    await pair.upstream.gateway.close();
    const down = await fetch(`${pair.front.url}/healthcheck`);
    expect(down.status).toBe(503);
    expect(await down.text()).toMatch(/^upstream (unreachable|unhealthy)/);
  });
});

describe('keystone mode in front of the upstream (fake Keystone)', () => {
  let ks: FakeKeystone;
  let kpair: UpstreamPair;
  beforeAll(async () => {
    ks = new FakeKeystone({ now: Date.now() });
    const url = await ks.start();
    ks.users.set('ks-user-token', { projectId: 'p-ks', userId: 'u-ks', roles: ['member'], expiresAt: Date.now() + 3600_000 });
    kpair = await startPair({
      front: {
        auth: {
          ...DEFAULT_CONFIG.auth,
          mode: 'keystone',
          keystone: { url, ...ks.credentials, userDomain: 'Default', projectDomain: 'Default', cacheTtlMs: 60_000, timeoutMs: 2000 },
        },
      },
    });
  });
  afterAll(async () => {
    await kpair.stop();
    await ks.stop();
  });

  it('validates the token locally (401 without asking the upstream) and forwards it with the context', async () => {
    const before = kpair.seen.length;
    const denied = await fetch(`${kpair.front.url}/v1/images`, { headers: { 'X-Auth-Token': 'bogus' } });
    expect(denied.status).toBe(401);
    expect(kpair.seen.length).toBe(before);
    const r = await fetch(`${kpair.front.url}/v1/images`, { method: 'POST', headers: { 'X-Auth-Token': 'ks-user-token', 'x-image-meta-name': 'ks' } });
    expect(r.status).toBe(201);
    expect(((await r.json()) as { image: { owner: string } }).image.owner).toBe('p-ks');
    const sent = [...kpair.received].reverse().find((q) => q.line === 'POST /v2/images')!.headers;
    expect(sent).toMatchObject({ 'x-auth-token': 'ks-user-token', 'x-project-id': 'p-ks', 'x-user-id': 'u-ks', 'x-roles': 'member' });
    expect(kpair.front.logs.join('\n')).not.toContain('ks-user-token');
  });
});
