/**
 * TLS options against an https upstream whose certificate comes from a private CA (made here
 * with openssl, SAN IP:127.0.0.1): `tls.caFile` makes it verifiable, and an upstream that
 * demands client certificates accepts the gateway only with `tls.certFile`/`keyFile`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { startFront } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'gg-tls-ca-'));
const file = (name: string): string => join(dir, name);
const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { stdio: 'pipe' });
};

/** A key and a certificate signed by the test CA, with the given extensions. */
function issue(name: string, cn: string, extensions: string): void {
  writeFileSync(file(`${name}.ext`), extensions);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`));
  openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file(`${name}.ext`), '-out', file(`${name}.pem`));
}

let verifying: Server;
let mutual: Server;
const seenClients: Array<string | null> = [];
const gateways: Gateway[] = [];

function answer(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
  req.resume();
  const peer = (req.socket as TLSSocket).getPeerCertificate();
  const cn = peer?.subject?.CN;
  seenClients.push(Array.isArray(cn) ? cn.join(',') : (cn ?? null));
  if (req.url === '/healthcheck') res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
  else res.writeHead(404, { 'content-type': 'application/json' }).end('{"message": "nothing here"}');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let verifyingUrl: string;
let mutualUrl: string;
beforeAll(async () => {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=gg-test-ca', '-days', '2', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  issue('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('client', 'gg-gateway', 'extendedKeyUsage=clientAuth\n');
  const serverTls = { cert: readFileSync(file('server.pem')), key: readFileSync(file('server.key')) };
  verifying = createServer(serverTls, answer);
  mutual = createServer({ ...serverTls, ca: readFileSync(file('ca.pem')), requestCert: true, rejectUnauthorized: true }, answer);
  verifyingUrl = await listen(verifying);
  mutualUrl = await listen(mutual);
});
afterAll(async () => {
  for (const g of gateways) await g.close();
  for (const s of [verifying, mutual]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  rmSync(dir, { recursive: true, force: true });
});

async function front(url: string, tls: Record<string, unknown>): Promise<string> {
  const gw = await startFront(url, { retries: 0, tls: { rejectUnauthorized: true, ...tls } });
  gateways.push(gw);
  return `http://127.0.0.1:${gw.port}`;
}
const MISSING = '/v1/images/00000000-0000-4000-8000-000000000000';

describe('https upstream with a private CA', () => {
  it('is refused without the CA file (502), and verified with it', async () => {
    const without = await front(verifyingUrl, {});
    expect((await fetch(`${without}${MISSING}`)).status).toBe(502);
    const withCa = await front(verifyingUrl, { caFile: file('ca.pem') });
    expect((await fetch(`${withCa}/healthcheck`)).status).toBe(200);
    expect((await fetch(`${withCa}${MISSING}`)).status).toBe(404);
  });

  it('an upstream demanding client certificates takes the gateway only with certFile/keyFile', async () => {
    const anonymous = await front(mutualUrl, { caFile: file('ca.pem') });
    const refused = await fetch(`${anonymous}${MISSING}`);
    expect(refused.status).toBeGreaterThanOrEqual(502);
    expect(refused.status).toBeLessThanOrEqual(503);
    expect((await fetch(`${anonymous}/healthcheck`)).status).toBe(503);

    seenClients.length = 0;
    const withCert = await front(mutualUrl, { caFile: file('ca.pem'), certFile: file('client.pem'), keyFile: file('client.key') });
    expect((await fetch(`${withCert}${MISSING}`)).status).toBe(404);
    expect((await fetch(`${withCert}/healthcheck`)).status).toBe(200);
    expect(seenClients).toContain('gg-gateway');
  });
});
