import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImage, startHarness, type Harness } from './harness.js';

/** Sends `total` bytes chunked, and resolves with the status the server answered, if any. */
function chunkedUpload(port: number, path: string, total: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'PUT', path, headers: { 'Content-Type': 'application/octet-stream' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

describe('an upload refused mid-stream', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ limits: { imageSizeCap: 1024 * 1024 } as never });
  });
  afterAll(() => h.stop());

  it('still answers 413 to a chunked upload that outgrows the size cap, and the image stays queued', async () => {
    const img = await createImage(h.url, { disk_format: 'raw', container_format: 'bare' });
    const res = await chunkedUpload(h.gateway.port, `/v2/images/${img.id}/file`, 8 * 1024 * 1024);
    expect(res.status).toBe(413);
    expect(res.body).toContain('The incoming image is too large');
    const shown = (await (await fetch(`${h.url}/v2/images/${img.id}`)).json()) as Record<string, unknown>;
    expect(shown).toMatchObject({ status: 'queued', size: null });
    const retry = await fetch(`${h.url}/v2/images/${img.id}/file`, {
      method: 'PUT',
      body: Buffer.alloc(1000),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(retry.status).toBe(204);
  });
});
