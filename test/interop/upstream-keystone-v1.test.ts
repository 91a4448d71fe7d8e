/**
 * The v1 real-client scenarios through the gateway in upstream mode, keystone flavor: the gateway
 * (GLANCE_GATEWAY_AUTH=keystone) validates the clients' real Keystone tokens itself and forwards
 * them to a real Glance 25.1 whose own keystonemiddleware validates them again
 * (test/glance/glance.sh GLANCE_FLAVOR=keystone, test/keystone/keystone.sh). The CLIs act as
 * Keystone's admin; other callers are users of their own projects. Glance is emptied after each
 * scenario. Upstream deviations asserted by the scenarios: spec v1-api.md 7.3 (no tombstones).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { md5, request } from './http.js';
import { useUpstream, wipeGlance } from './upstream-env.js';
import { glanceclientV1Scenario } from './v1-glanceclient.scenario.js';
import { openstackclientV1Scenario } from './v1-openstackclient.scenario.js';
import { openstacksdkV1Scenario } from './v1-openstacksdk.scenario.js';

const up = useUpstream({
  flavor: 'keystone',
  gatewayEnv: { GLANCE_GATEWAY_FETCH_ALLOW: '127.0.0.1/32', GLANCE_GATEWAY_FETCH_PORTS: 'any' },
  callers: [
    ['b', 'member'], ['c', 'member'], ['x', 'member'], ['m', 'member'], ['o', 'member'], ['p', 'member'], ['q', 'member'],
    ['admin', 'member'],
  ],
});

describe('upstream keystone: openstacksdk v1', () => {
  openstacksdkV1Scenario(() => up().target);
  afterAll(() => wipeGlance(up().glance));
});
describe('upstream keystone: openstackclient v1', () => {
  openstackclientV1Scenario(() => up().target);
  afterAll(() => wipeGlance(up().glance));
});
describe('upstream keystone: glanceclient v1', () => {
  glanceclientV1Scenario(() => up().target);
  afterAll(() => wipeGlance(up().glance));
});

describe('v1 with Keystone tokens: owner and isolation come from the token, in Glance too', () => {
  it('POST /v1/images as a project member: Glance records that project; others and no token are refused', async () => {
    const { target: t, glance } = up();
    const me = t.who('p');
    const data = Buffer.alloc(512 * 1024 + 1, 3);
    const created = await request(t.url, 'POST', '/v1/images', {
      headers: {
        ...me.headers, 'Content-Type': 'application/octet-stream', 'x-image-meta-name': 'v1-ks',
        'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare',
      },
      body: data,
    });
    expect(created.status, created.text).toBe(201);
    const id = created.json().image.id as string;
    expect(created.json().image.owner).toBe(me.project);
    const direct = await request(glance.url, 'GET', `/v2/images/${id}`, { headers: glance.admin });
    expect(direct.json()).toMatchObject({ id, status: 'active', owner: me.project, checksum: md5(data), size: data.length });
    // Glance itself validates the same token and applies its policy.
    expect((await request(glance.url, 'GET', `/v2/images/${id}`, { headers: me.headers })).status).toBe(200);
    expect((await request(glance.url, 'GET', `/v2/images/${id}`, { headers: t.who('q').headers })).status).toBe(404);
    expect((await request(t.url, 'HEAD', `/v1/images/${id}`, { headers: t.who('q').headers })).status).toBe(404);
    expect((await request(t.url, 'HEAD', `/v1/images/${id}`, {})).status).toBe(401);
    expect((await request(t.url, 'HEAD', `/v1/images/${id}`, { headers: { 'X-Auth-Token': 'garbage' } })).status).toBe(401);
    // Identity headers without a token are not trusted in keystone mode.
    expect((await request(t.url, 'HEAD', `/v1/images/${id}`, { headers: { 'X-Project-Id': me.project, 'X-Roles': 'admin' } })).status).toBe(401);
    expect((await request(t.url, 'DELETE', `/v1/images/${id}`, { headers: me.headers })).status).toBe(200);
    expect((await request(glance.url, 'GET', `/v2/images/${id}`, { headers: glance.admin })).status).toBe(404);
  });
});
