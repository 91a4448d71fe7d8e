/**
 * Server-side request forgery through v1 copy-from (`x-glance-api-copy-from`) and external
 * locations (`x-image-meta-location`), with the gateway's DEFAULT fetch configuration: loopback,
 * private and link-local addresses and ports other than 80/443 are refused with 400 (spec v1 §6).
 * Driven by the real glanceclient v1 CLI and by curl; a local canary HTTP server (dual-stack, so
 * both 127.0.0.1 and [::1] reach it) must never receive a request.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURL, describeRun, removeTempDirs, run, sleep, startGateway, type Gateway } from './gateway.js';
import { ADMIN, request } from './http.js';
import { parseDict } from './clients.js';
import { glance1, startFixture, type Fixture } from './v1-helpers.js';

let gw: Gateway;
/** Second gateway: any port allowed (no allow-list), so refusals come from the address policy alone. */
let gwAnyPort: Gateway;
let canary: Fixture;
const TAG = randomUUID().slice(0, 6);
const NAME = `ssrf-${TAG}`;

/** The URLs of the brief: loopback on the canary's port, RFC 1918, cloud metadata, IPv6 loopback. */
const targets = (port: number) => [
  `http://127.0.0.1:${port}/file`,
  'http://10.0.0.1/file',
  'http://169.254.169.254/latest/meta-data/',
  `http://[::1]:${port}/file`,
];

/** Other spellings of loopback (the WHATWG URL parser canonicalises most of them). */
const spellings = (port: number) => [
  `http://localhost:${port}/file`,
  `http://127.1:${port}/file`,
  `http://0x7f000001:${port}/file`,
  `http://2130706433:${port}/file`,
  `http://[::ffff:127.0.0.1]:${port}/file`,
  `http://[0:0:0:0:0:0:0:1]:${port}/file`,
  `http://127.0.0.1.:${port}/file`,
];

/** POST /v1/images (or PUT on `id`) with a copy-from or location header, by curl; returns status and body. */
async function curlV1(base: string, header: 'x-glance-api-copy-from' | 'x-image-meta-location', uri: string, id?: string) {
  const args = [
    '-sS', '-g', '-o', '-', '-w', '\n%{http_code}', '-X', id ? 'PUT' : 'POST', `${base}/v1/images${id ? `/${id}` : ''}`,
    ...(id ? [] : ['-H', `x-image-meta-name: ${NAME}`, '-H', 'x-image-meta-disk_format: raw', '-H', 'x-image-meta-container_format: bare']),
    '-H', `${header}: ${uri}`,
  ];
  const r = await run(CURL, args, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`curl failed: ${describeRun(r)}`);
  const lines = r.stdout.trimEnd().split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}

beforeAll(async () => {
  canary = await startFixture(Buffer.from('canary data\n'), '::');
  gw = await startGateway();
  gwAnyPort = await startGateway({ env: { GLANCE_GATEWAY_FETCH_PORTS: 'any' } });
});

afterAll(async () => {
  await gw?.stop();
  await gwAnyPort?.stop();
  await canary?.close();
  removeTempDirs();
});

describe('v1 copy-from / location SSRF guard (default configuration)', () => {
  it('the canary is reachable over 127.0.0.1 and [::1] (so silence below means refusal)', async () => {
    for (const host of ['127.0.0.1', '[::1]']) {
      const r = await run(CURL, ['-sS', '-g', `http://${host}:${canary.port}/file`], { timeoutMs: 10_000 });
      expect(r.stdout, describeRun(r)).toBe('canary data\n');
    }
    canary.requests.length = 0;
  });

  it('glanceclient v1 image-create --copy-from is refused for every target', async () => {
    for (const uri of targets(canary.port)) {
      const r = await glance1(
        gw.url,
        ['image-create', '--name', NAME, '--disk-format', 'raw', '--container-format', 'bare', '--copy-from', uri],
        { tty: true },
      );
      const out = r.stdout + r.stderr;
      expect(r.code, `${uri}\n${describeRun(r)}`).not.toBe(0);
      expect(out, uri).toMatch(/HTTP 400 Bad Request/);
      expect(out).not.toMatch(/\| status\s+\| (saving|active)/);
    }
  });

  it('curl: POST with x-glance-api-copy-from or x-image-meta-location answers 400 for every target', async () => {
    for (const uri of targets(canary.port)) {
      for (const header of ['x-glance-api-copy-from', 'x-image-meta-location'] as const) {
        const r = await curlV1(gw.url, header, uri);
        expect(r.status, `${header}: ${uri}\n${r.body}`).toBe(400);
        expect(r.body).toMatch(/^400 Bad Request/);
      }
    }
  });

  it('curl: other loopback spellings are refused too', async () => {
    for (const uri of spellings(canary.port)) {
      const r = await curlV1(gw.url, 'x-glance-api-copy-from', uri);
      expect(r.status, `${uri}\n${r.body}`).toBe(400);
    }
  });

  it('with FETCH_PORTS=any the address policy alone still refuses loopback/private/link-local', async () => {
    for (const uri of [...targets(canary.port), ...spellings(canary.port)]) {
      for (const header of ['x-glance-api-copy-from', 'x-image-meta-location'] as const) {
        const r = await curlV1(gwAnyPort.url, header, uri);
        expect(r.status, `${header}: ${uri}\n${r.body}`).toBe(400);
        if (header === 'x-image-meta-location') expect(r.body).toContain('the address is not reachable from this service');
      }
    }
    const g = await glance1(
      gwAnyPort.url,
      ['image-create', '--name', NAME, '--disk-format', 'raw', '--container-format', 'bare', '--copy-from', `http://127.0.0.1:${canary.port}/file`],
      { tty: true },
    );
    expect(g.code, describeRun(g)).not.toBe(0);
    expect(g.stdout + g.stderr).toMatch(/HTTP 400 Bad Request/);
  });

  it('PUT copy-from / location onto a queued image is refused as well (glanceclient image-update and curl)', async () => {
    const c = await glance1(gw.url, ['image-create', '--name', `${NAME}-q`, '--disk-format', 'raw', '--container-format', 'bare'], {
      tty: true,
    });
    const id = parseDict(c.stdout).id ?? '';
    expect(id, describeRun(c)).toMatch(/^[0-9a-f-]{36}$/);
    for (const uri of targets(canary.port)) {
      const u = await glance1(gw.url, ['image-update', id, '--copy-from', uri], { tty: true });
      expect(u.code, `${uri}\n${describeRun(u)}`).not.toBe(0);
      expect(u.stdout + u.stderr).toMatch(/HTTP 400 Bad Request/);
      for (const header of ['x-glance-api-copy-from', 'x-image-meta-location'] as const) {
        const r = await curlV1(gw.url, header, uri, id);
        expect(r.status, `${header}: ${uri}\n${r.body}`).toBe(400);
      }
    }
    const h = await request(gw.url, 'HEAD', `/v1/images/${id}`, { headers: ADMIN });
    expect(h.headers['x-image-meta-status']).toBe('queued');
  });

  it('the canary received no request, and no refused image is saving/active', async () => {
    await sleep(1500); // a background copy job would have connected by now
    expect(canary.requests).toEqual([]);
    for (const base of [gw.url, gwAnyPort.url]) {
      const list = (await request(base, 'GET', '/v1/images/detail?limit=1000', { headers: ADMIN })).json().images as {
        name: string;
        status: string;
        size: number;
      }[];
      for (const img of list.filter((i) => i.name.startsWith(NAME))) {
        expect(img.status).toBe('queued');
        expect(img.size).toBe(0);
      }
    }
  });

  it('a refused POST leaves no image behind (the client got a 400 and no id to clean up)', async () => {
    const list = (await request(gw.url, 'GET', `/v1/images/detail?name=${NAME}`, { headers: ADMIN })).json().images as {
      id: string;
      status: string;
    }[];
    expect(list.length, `${list.length} leaked records (statuses ${[...new Set(list.map((i) => i.status))].join(',')})`).toBe(0);
  });
});
