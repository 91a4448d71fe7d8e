/**
 * Upstream failures as clients see them: unreachable → 503 (and a failing readiness check),
 * too slow → 504, garbage → 502, a loop → 508, and an upstream that drops an upload midway
 * leaves a clean client error and no image active with partial data.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { startFront, startPair, type UpstreamPair } from './fixture.js';

const RAW = { disk_format: 'raw', container_format: 'bare' };
const ZERO = '00000000-0000-4000-8000-000000000000';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

async function listen<T extends Server | NetServer>(server: T): Promise<{ server: T; url: string; port: number }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { server, url: `http://127.0.0.1:${port}`, port };
}

async function front(url: string, overrides = {}): Promise<{ gw: Gateway; url: string }> {
  const gw = await startFront(url, overrides);
  cleanups.push(() => gw.close());
  return { gw, url: `http://127.0.0.1:${gw.port}` };
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('an unreachable upstream', () => {
  it('answers 503 in both dialects and fails the healthcheck', async () => {
    const port = await freePort();
    const f = await front(`http://127.0.0.1:${port}`);
    expect((await fetch(`${f.url}/v1/images/${ZERO}`, { method: 'HEAD' })).status).toBe(503);
    const v1 = await fetch(`${f.url}/v1/images`);
    expect(v1.status).toBe(503);
    const v2 = await fetch(`${f.url}/v2/images`);
    expect(v2.status).toBe(503);
    expect(await v2.text()).toMatch(/unreachable/);
    const health = await fetch(`${f.url}/healthcheck`);
    expect(health.status).toBe(503);
    expect(await health.text()).toMatch(/upstream unreachable/);
  });
});

describe('a slow upstream', () => {
  it('times out as 504 (headers timeout), in both dialects', async () => {
    const sockets = new Set<Socket>();
    const up = await listen(createServer(() => undefined /* never answers */));
    up.server.on('connection', (s: Socket) => sockets.add(s));
    cleanups.push(async () => sockets.forEach((s) => s.destroy()));
    const f = await front(up.url, { headersTimeoutMs: 200, retries: 0 });
    expect((await fetch(`${f.url}/v1/images/${ZERO}`, { method: 'HEAD' })).status).toBe(504);
    expect((await fetch(`${f.url}/v2/images/${ZERO}`)).status).toBe(504);
  });
});

describe('an upstream that sends garbage', () => {
  it('is a 502: unparsable HTTP, and JSON that is not JSON', async () => {
    const raw = await listen(
      createNetServer((s) => {
        s.on('data', () => undefined);
        s.end('SMTP ready, not HTTP at all\r\n\r\n');
      }),
    );
    const f = await front(raw.url, { retries: 0 });
    expect((await fetch(`${f.url}/v1/images/${ZERO}`, { method: 'HEAD' })).status).toBe(502);
    expect((await fetch(`${f.url}/v2/images`)).status).toBe(502);

    const notJson = await listen(
      createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "truncated');
      }),
    );
    const g = await front(notJson.url);
    expect((await fetch(`${g.url}/v1/images/${ZERO}`, { method: 'HEAD' })).status).toBe(502);
    const list = await fetch(`${g.url}/v1/images`);
    expect(list.status).toBe(502);
    // A 200 image document that is not an image is as bad as no JSON.
    const wrong = await listen(
      createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": 42}');
      }),
    );
    const h = await front(wrong.url);
    expect((await fetch(`${h.url}/v1/images/${ZERO}`, { method: 'HEAD' })).status).toBe(502);
  });
});

describe('a loop', () => {
  it('a gateway pointing at itself answers 508 instead of recursing (v2, v1, healthcheck)', async () => {
    const port = await freePort();
    const gw = await startFront(`http://127.0.0.1:${port}`, {}, { port });
    cleanups.push(() => gw.close());
    const url = `http://127.0.0.1:${port}`;
    expect((await fetch(`${url}/v2/images`)).status).toBe(508);
    expect((await fetch(`${url}/v1/images/detail`)).status).toBe(508);
    expect((await fetch(`${url}/healthcheck`)).status).toBe(503);
  });

  it('two gateways pointing at each other answer 508', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = await startFront(`http://127.0.0.1:${pb}`, {}, { port: pa });
    cleanups.push(() => a.close());
    const b = await startFront(`http://127.0.0.1:${pa}`, {}, { port: pb });
    cleanups.push(() => b.close());
    const r = await fetch(`http://127.0.0.1:${pa}/v2/images`);
    expect(r.status).toBe(508);
    expect(String(r.headers.get('via'))).toContain('glance-gateway');
  });
});

describe('the upstream drops an upload midway', () => {
  let pair: UpstreamPair;
  afterEach(async () => {
    await pair?.stop();
  });

  for (const dialect of ['v1', 'v2'] as const) {
    it(`${dialect}: the client gets a clean error and the image is not active with partial data`, async () => {
      pair = await startPair();
      const create = await fetch(`${pair.front.url}/v2/images`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `drop-${dialect}`, ...RAW }),
      });
      const { id } = (await create.json()) as { id: string };
      let sent = 0;
      const body = Readable.from(
        (async function* () {
          for (let i = 0; i < 200; i++) {
            if (i === 5) {
              // The upstream goes away with the transfer in flight.
              pair.upstream.gateway.server.closeAllConnections();
            }
            sent += 16384;
            yield Buffer.alloc(16384, i);
            await new Promise((r) => setTimeout(r, 5));
          }
        })(),
      );
      const path = dialect === 'v1' ? `/v1/images/${id}` : `/v2/images/${id}/file`;
      let status = 0;
      try {
        const res = await fetch(`${pair.front.url}${path}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream' },
          body: Readable.toWeb(body) as ReadableStream,
          duplex: 'half',
        } as RequestInit);
        status = res.status;
        const text = await res.text();
        expect(text).not.toBe('');
      } catch {
        status = -1; // the connection was cut: also a clean failure for a proxied stream
      }
      expect(status === -1 || status >= 500, `status ${status}`).toBe(true);
      expect(sent).toBeLessThan(200 * 16384);
      // Ask the upstream itself: never active with a partial body.
      const deadline = Date.now() + 5000;
      let image: { status: string; size: number | null } = { status: 'saving', size: null };
      while (Date.now() < deadline) {
        image = (await (await fetch(`${pair.upstream.url}/v2/images/${id}`)).json()) as typeof image;
        if (image.status !== 'saving') break;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(image.status).toBe('queued');
      expect(image.size).toBeNull();
      if (dialect === 'v1') {
        const head = await fetch(`${pair.front.url}/v1/images/${id}`, { method: 'HEAD' });
        expect(head.headers.get('x-image-meta-status')).toBe('killed');
      }
    });
  }
});
