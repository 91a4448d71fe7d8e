import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImage, startHarness, type Harness } from './harness.js';

describe('request logging', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  it('writes one line per request keyed by the request id it returns, and never the token', async () => {
    const token = 'gAAAAA-very-secret-token-value-0123456789';
    const res = await fetch(`${h.url}/v2/images?name=x`, {
      headers: { 'X-Auth-Token': token, 'X-Subject-Token': token, 'X-Openstack-Request-ID': 'abc' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-openstack-request-id')).toBe('req-abc');
    await new Promise((r) => setTimeout(r, 50));
    const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.request_id === 'req-abc');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: 'GET', status: 200, path: '/v2/images?name=x' });
    expect(h.logs.join('\n')).not.toContain(token);
  });

  it('warns at start that noauth is unauthenticated', () => {
    const warn = h.logs.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 40);
    expect(warn?.msg).toMatch(/AUTHENTICATION IS DISABLED/);
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight upload finish, then stops accepting and closes', async () => {
    const h = await startHarness({ shutdownTimeoutMs: 10_000 });
    const img = await createImage(h.url, { disk_format: 'raw', container_format: 'bare' });
    const { port } = h.gateway;
    const upload = new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method: 'PUT', path: `/v2/images/${img.id}/file`, headers: { 'Content-Type': 'application/octet-stream' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      let sent = 0;
      const tick = setInterval(() => {
        req.write(Buffer.alloc(64 * 1024, sent));
        if (++sent === 10) {
          clearInterval(tick);
          req.end();
        }
      }, 50);
    });
    await new Promise((r) => setTimeout(r, 120));
    const closed = h.gateway.close();
    expect(await upload).toBe(204);
    await closed;
    await expect(fetch(`${h.url}/healthcheck`)).rejects.toThrow();
    // The image committed before the database closed.
    const again = await startHarness({ dataDir: h.dataDir });
    const shown = (await (await fetch(`${again.url}/v2/images/${img.id}`)).json()) as Record<string, unknown>;
    expect(shown).toMatchObject({ status: 'active', size: 10 * 64 * 1024 });
    await again.stop();
  });
});
