/**
 * v1 copy-from when the upstream offers no web-download import: the gateway fetches the source
 * itself (through its fetch guard) and streams it into the upstream; a failure ends `killed`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { md5, startFixture, waitForV1Status, type Fixture } from '../v1-api/v1-helpers.js';
import { startPair, type UpstreamPair } from './fixture.js';

const BYTES = Buffer.from('copied by the gateway '.repeat(300));
let fixture: Fixture;
let pair: UpstreamPair;
const api = {
  // The subset of test/support's Api that waitForV1Status uses.
  call: async (method: string, path: string) => {
    const r = await fetch(`${pair.front.url}${path}`, { method });
    const headers: Record<string, string> = {};
    r.headers.forEach((v, k) => (headers[k] = v));
    const body = Buffer.from(await r.arrayBuffer());
    return { status: r.status, headers, body, text: body.toString(), header: (n: string) => headers[n], json: () => JSON.parse(body.toString()) };
  },
};

beforeAll(async () => {
  fixture = await startFixture({ '/img.bin': BYTES });
  const fetchOpen = { fetch: { ...DEFAULT_CONFIG.fetch, allow: ['127.0.0.1/32'], ports: null } };
  // The upstream offers glance-direct only, and its own fetch guard would refuse the fixture anyway.
  pair = await startPair({ upstream: { importMethods: ['glance-direct'] }, front: fetchOpen });
});
afterAll(async () => {
  await pair.stop();
  await fixture.close();
});

const copyFrom = (name: string, url: string) =>
  fetch(`${pair.front.url}/v1/images`, {
    method: 'POST',
    headers: { 'x-image-meta-name': name, 'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare', 'x-glance-api-copy-from': url },
  });

describe('copy-from without upstream web-download', () => {
  it('the gateway fetches the source and uploads it: active with the right size and md5', async () => {
    const r = await copyFrom('gw-copy', `${fixture.url}/img.bin`);
    expect(r.status).toBe(201);
    const { id } = ((await r.json()) as { image: { id: string } }).image;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const m = await waitForV1Status(api as any, id, ['active', 'killed']);
    expect(m.fields).toMatchObject({ status: 'active', size: String(BYTES.length), checksum: md5(BYTES) });
    expect(pair.seen).toContain(`PUT /v2/images/${id}/file`);
    expect(pair.seen.some((l) => l.startsWith(`POST /v2/images/${id}/import`))).toBe(false);
    const get = await fetch(`${pair.front.url}/v1/images/${id}`);
    expect(Buffer.from(await get.arrayBuffer()).equals(BYTES)).toBe(true);
  });

  it('a source answering 404 ends killed, and the upstream image holds no data', async () => {
    const r = await copyFrom('gw-404', `${fixture.url}/missing.bin`);
    expect(r.status).toBe(201);
    const { id } = ((await r.json()) as { image: { id: string } }).image;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const m = await waitForV1Status(api as any, id, ['active', 'killed']);
    expect(m.fields.status).toBe('killed');
    const up = (await (await fetch(`${pair.upstream.url}/v2/images/${id}`)).json()) as { status: string; size: number | null };
    expect(up).toMatchObject({ status: 'queued', size: null });
  });

  it('a source the fetch guard refuses is refused before anything is reserved', async () => {
    const r = await copyFrom('gw-refused', 'http://169.254.169.254/latest/meta-data');
    expect(r.status).toBe(400);
    expect(pair.seen.filter((l) => l === 'POST /v2/images').length).toBe(2);
  });
});
