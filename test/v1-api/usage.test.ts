/** v1 migration telemetry: GET /v1-usage counts v1 requests by client, route and project. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAW, as, createV1, meta, startApi, type Api } from './v1-helpers.js';

let api: Api;
let id: string;

interface Counter {
  client: string;
  version: string | null;
  route: string;
  project: string | null;
  count: number;
  first_seen: string;
  last_seen: string;
}

const GLANCECLIENT = { 'User-Agent': 'python-glanceclient' };
const SDK = { 'User-Agent': 'openstacksdk/0.101.0 keystoneauth1/5.0.0 python-requests/2.28.1 CPython/3.11.2' };
const CURL = { 'User-Agent': 'curl/8.5.0' };

beforeAll(async () => {
  api = await startApi();
  id = (await createV1(api, { ...meta({ name: 'u', ...RAW }), ...as('projA') }, Buffer.from('x'))).id;
  for (let i = 0; i < 3; i++) await api.call('HEAD', `/v1/images/${id}`, { headers: { ...GLANCECLIENT, ...as('projA') } });
  await api.call('GET', '/v1/images/detail?limit=5', { headers: { ...SDK, ...as('projB') } });
  await api.call('GET', '/v1/images/detail', { headers: { ...SDK, ...as('projB') } });
  await api.call('GET', `/v1/images/${id}`, { headers: CURL });
  await api.call('GET', `/v1/images/${id}/members`, { headers: { ...CURL, ...as('projA') } });
  // v2 traffic is not v1 usage.
  await api.call('GET', '/v2/images', { headers: CURL });
});
afterAll(async () => {
  await api.close();
});

async function report(): Promise<{ total: number; usage: Counter[] }> {
  const r = await api.call('GET', '/v1-usage');
  expect(r.status, r.text).toBe(200);
  expect(r.header('content-type')).toMatch(/^application\/json/);
  return r.json();
}

const find = (usage: Counter[], client: string, route: string, project: string | null): Counter | undefined =>
  usage.find((c) => c.client === client && c.route === route && c.project === project);

describe('GET /v1-usage', () => {
  it('counts by client family, route (ids replaced) and project', async () => {
    const { usage } = await report();
    expect(find(usage, 'python-glanceclient', 'HEAD /v1/images/{id}', 'projA')?.count).toBe(3);
    const sdk = find(usage, 'openstacksdk', 'GET /v1/images/detail', 'projB');
    expect(sdk?.count).toBe(2);
    expect(sdk?.version).toBe('0.101.0');
    expect(find(usage, 'curl', 'GET /v1/images/{id}', 'admin')?.count).toBe(1);
    expect(find(usage, 'curl', 'GET /v1/images/{id}/members', 'projA')?.count).toBe(1);
    // No image id leaks into a route label; v2 requests are not counted.
    for (const c of usage) {
      expect(c.route).not.toContain(id);
      expect(c.route.startsWith(`${c.route.split(' ')[0]} /v1`)).toBe(true);
      expect(Date.parse(c.first_seen)).toBeLessThanOrEqual(Date.parse(c.last_seen));
    }
  });

  it('the total grows with each further v1 request', async () => {
    const before = (await report()).total;
    await api.call('HEAD', `/v1/images/${id}`, { headers: GLANCECLIENT });
    await api.call('GET', '/v1/images', { headers: CURL });
    const after = await report();
    expect(after.total).toBe(before + 2);
    expect(find(after.usage, 'python-glanceclient', 'HEAD /v1/images/{id}', 'admin')?.count).toBe(1);
  });

  it('is admin-only: 403 for a member of a project', async () => {
    const r = await api.call('GET', '/v1-usage', { headers: as('projA') });
    expect(r.status).toBe(403);
  });
});
