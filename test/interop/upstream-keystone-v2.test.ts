/**
 * The v2 real-client scenarios through the gateway in upstream mode, keystone flavor: the
 * gateway validates the real Keystone tokens and passes v2 through to a real Glance 25.1 that
 * validates them again with keystonemiddleware (test/glance/glance.sh GLANCE_FLAVOR=keystone,
 * test/keystone/keystone.sh). The CLIs act as Keystone's admin; member-side steps use a member
 * project's own token. Glance is emptied after each scenario.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { curlWalkthroughScenario } from './curl-walkthrough.scenario.js';
import { glanceclientV2Scenario } from './glanceclient-v2.scenario.js';
import { md5, request } from './http.js';
import { openstackclientV2Scenario } from './openstackclient-v2.scenario.js';
import { openstacksdkV2Scenario } from './openstacksdk-v2.scenario.js';
import { useUpstream, wipeGlance } from './upstream-env.js';

const up = useUpstream({
  flavor: 'keystone',
  callers: [
    ['b', 'member'], ['c', 'member'], ['x', 'member'], ['m', 'member'], ['o', 'member'], ['p', 'member'], ['q', 'member'],
    ['admin', 'member'],
  ],
});

describe('upstream keystone: openstacksdk v2', () => {
  openstacksdkV2Scenario(() => up().target);
  afterAll(() => wipeGlance(up().glance));
});
describe('upstream keystone: glanceclient v2', () => {
  glanceclientV2Scenario(() => up().target);
  afterAll(() => wipeGlance(up().glance));
});
describe('upstream keystone: openstackclient v2', () => {
  openstackclientV2Scenario(() => up().target);
  afterAll(() => wipeGlance(up().glance));
});
describe('upstream keystone: curl walkthrough', () => {
  curlWalkthroughScenario(() => up().target);
  afterAll(() => wipeGlance(up().glance));
});

describe('v2 with Keystone tokens through the gateway', () => {
  it('owner is the token project in Glance; bytes identical; other projects and bad tokens refused', async () => {
    const { target: t, glance } = up();
    const me = t.who('p');
    const data = Buffer.alloc(1024 * 1024 + 9, 5);
    const created = await request(t.url, 'POST', '/v2/images', {
      headers: me.headers, body: { name: 'v2-ks', disk_format: 'raw', container_format: 'bare' },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.json().id as string;
    expect(created.json().owner).toBe(me.project);
    const put = await request(t.url, 'PUT', `/v2/images/${id}/file`, {
      headers: { ...me.headers, 'Content-Type': 'application/octet-stream' }, body: data,
    });
    expect(put.status, put.text).toBe(204);
    const direct = await request(glance.url, 'GET', `/v2/images/${id}/file`, { headers: me.headers });
    expect(md5(direct.body)).toBe(md5(data));
    expect((await request(t.url, 'GET', `/v2/images/${id}`, { headers: t.who('q').headers })).status).toBe(404);
    expect((await request(t.url, 'GET', '/v2/images', {})).status).toBe(401);
    expect((await request(t.url, 'GET', '/v2/images', { headers: { 'X-Auth-Token': 'garbage' } })).status).toBe(401);
    expect((await request(t.url, 'DELETE', `/v2/images/${id}`, { headers: me.headers })).status).toBe(204);
  });
});
