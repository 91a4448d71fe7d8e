/**
 * An https upstream: its certificate is verified by default (a self-signed one fails the
 * handshake: 502, healthcheck 503), and UPSTREAM_INSECURE turns verification off.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { SECURE_TEST_CERT, SECURE_TEST_KEY } from '../fetch/tls-fixture.js';
import { startFront } from './fixture.js';

let server: Server;
let url: string;
const gateways: Gateway[] = [];
beforeAll(async () => {
  server = createServer({ cert: SECURE_TEST_CERT, key: SECURE_TEST_KEY }, (req, res) => {
    req.resume();
    if (req.url === '/healthcheck') res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"message": "nothing here"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const g of gateways) await g.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('https upstream', () => {
  it('refuses an unverifiable certificate: 502, and the healthcheck fails', async () => {
    const gw = await startFront(url, { retries: 0 });
    gateways.push(gw);
    const base = `http://127.0.0.1:${gw.port}`;
    const r = await fetch(`${base}/v1/images/00000000-0000-4000-8000-000000000000`);
    expect(r.status).toBe(502);
    expect(await r.text()).toMatch(/TLS handshake/);
    expect((await fetch(`${base}/healthcheck`)).status).toBe(503);
  });

  it('with verification turned off, talks to it', async () => {
    const gw = await startFront(url, { tls: { rejectUnauthorized: false } });
    gateways.push(gw);
    const base = `http://127.0.0.1:${gw.port}`;
    expect((await fetch(`${base}/healthcheck`)).status).toBe(200);
    expect((await fetch(`${base}/v1/images/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
  });
});
