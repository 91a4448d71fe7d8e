/**
 * The v1 real-client scenarios (openstacksdk, openstackclient, glanceclient v1) through the
 * gateway in upstream mode, noauth flavor: the gateway forwards X-Project-Id/X-User-Id/X-Roles to
 * a real Glance 25.1 (test/glance/glance.sh) that derives its request context from them.
 * The scenarios share one Glance, emptied after each scenario (their list assertions are exact).
 * Upstream deviations asserted by the scenarios: spec v1-api.md 7.3 (no tombstones).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { md5, request } from './http.js';
import { useUpstream, wipeGlance } from './upstream-env.js';
import { glanceclientV1Scenario } from './v1-glanceclient.scenario.js';
import { openstackclientV1Scenario } from './v1-openstackclient.scenario.js';
import { openstacksdkV1Scenario } from './v1-openstacksdk.scenario.js';

const up = useUpstream({
  flavor: 'noauth',
  gatewayEnv: { GLANCE_GATEWAY_FETCH_ALLOW: '127.0.0.1/32', GLANCE_GATEWAY_FETCH_PORTS: 'any' },
});

describe('upstream noauth: openstacksdk v1', () => {
  openstacksdkV1Scenario(() => up().target);
  afterAll(() => wipeGlance(up().glance));
});
describe('upstream noauth: openstackclient v1', () => {
  openstackclientV1Scenario(() => up().target);
  afterAll(() => wipeGlance(up().glance));
});
describe('upstream noauth: glanceclient v1', () => {
  glanceclientV1Scenario(() => up().target);
  afterAll(() => wipeGlance(up().glance));
});

describe('v1 through the gateway: the data lives in the upstream Glance', () => {
  it('an image made by POST /v1/images is in Glance (metadata, owner, bytes md5) and changes made in Glance show through the gateway', async () => {
    const { target: t, glance } = up();
    const data = Buffer.alloc(1024 * 1024 + 3, 7);
    const created = await request(t.url, 'POST', '/v1/images', {
      headers: {
        ...t.who('p').headers, 'Content-Type': 'application/octet-stream', 'x-image-meta-name': 'v1-in-glance',
        'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare', 'x-image-meta-property-color': 'blue',
      },
      body: data,
    });
    expect(created.status, created.text).toBe(201);
    const id = created.json().image.id as string;
    const direct = await request(glance.url, 'GET', `/v2/images/${id}`, { headers: glance.admin });
    expect(direct.status).toBe(200);
    expect(direct.json()).toMatchObject({
      id, name: 'v1-in-glance', status: 'active', size: data.length, checksum: md5(data), owner: t.who('p').project, color: 'blue',
    });
    const bytes = await request(glance.url, 'GET', `/v2/images/${id}/file`, { headers: glance.admin });
    expect(bytes.status).toBe(200);
    expect(md5(bytes.body)).toBe(md5(data));
    // Another project is kept out by Glance's own policy (the gateway forwards the identity).
    expect((await request(glance.url, 'GET', `/v2/images/${id}`, { headers: t.who('q').headers })).status).toBe(404);
    // A change made in Glance directly is what the gateway serves.
    const patch = await request(glance.url, 'PATCH', `/v2/images/${id}`, {
      headers: { ...glance.admin, 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
      body: JSON.stringify([{ op: 'replace', path: '/color', value: 'green' }]),
    });
    expect(patch.status).toBe(200);
    const shown = await request(t.url, 'GET', `/v2/images/${id}`, { headers: t.who('p').headers }); // v2 passes through
    expect(shown.json()).toMatchObject({ id, color: 'green' });
    const download = await request(t.url, 'GET', `/v1/images/${id}`, { headers: t.who('p').headers });
    expect(download.status).toBe(200);
    expect(md5(download.body)).toBe(md5(data));
    // Deleting through v1 deletes in Glance.
    expect((await request(t.url, 'DELETE', `/v1/images/${id}`, { headers: t.who('p').headers })).status).toBe(200);
    expect((await request(glance.url, 'GET', `/v2/images/${id}`, { headers: glance.admin })).status).toBe(404);
  });
});
