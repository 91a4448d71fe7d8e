/**
 * The v2 real-client scenarios (openstacksdk, glanceclient, openstackclient, the curl
 * walkthrough) through the gateway in upstream mode, noauth flavor: v2 is a streamed
 * pass-through to a real Glance 25.1 (test/glance/glance.sh) that derives its request context
 * from the identity headers the gateway forwards. The scenarios share one Glance, emptied after
 * each scenario (their list assertions are exact).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { curlWalkthroughScenario } from './curl-walkthrough.scenario.js';
import { glanceclientV2Scenario } from './glanceclient-v2.scenario.js';
import { md5, request } from './http.js';
import { openstackclientV2Scenario } from './openstackclient-v2.scenario.js';
import { openstacksdkV2Scenario } from './openstacksdk-v2.scenario.js';
import { useUpstream, wipeGlance } from './upstream-env.js';

const up = useUpstream({ flavor: 'noauth' });

describe('upstream noauth: openstacksdk v2', () => {
  openstacksdkV2Scenario(() => up().target);
  afterAll(() => wipeGlance(up().glance));
});
describe('upstream noauth: glanceclient v2', () => {
  glanceclientV2Scenario(() => up().target);
  afterAll(() => wipeGlance(up().glance));
});
describe('upstream noauth: openstackclient v2', () => {
  openstackclientV2Scenario(() => up().target);
  afterAll(() => wipeGlance(up().glance));
});
describe('upstream noauth: curl walkthrough', () => {
  curlWalkthroughScenario(() => up().target);
  afterAll(() => wipeGlance(up().glance));
});

describe('v2 through the gateway: the data lives in the upstream Glance', () => {
  it('an image uploaded through the gateway is in Glance (metadata, owner, bytes md5), and the other way round', async () => {
    const { target: t, glance } = up();
    const me = t.who('p');
    const data = Buffer.alloc(2 * 1024 * 1024 + 5, 9);
    const created = await request(t.url, 'POST', '/v2/images', {
      headers: me.headers, body: { name: 'v2-in-glance', disk_format: 'raw', container_format: 'bare', shade: 'dark' },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.json().id as string;
    const put = await request(t.url, 'PUT', `/v2/images/${id}/file`, {
      headers: { ...me.headers, 'Content-Type': 'application/octet-stream' }, body: data,
    });
    expect(put.status, put.text).toBe(204);
    const direct = await request(glance.url, 'GET', `/v2/images/${id}`, { headers: glance.admin });
    expect(direct.json()).toMatchObject({ id, status: 'active', size: data.length, checksum: md5(data), owner: me.project, shade: 'dark' });
    const bytes = await request(glance.url, 'GET', `/v2/images/${id}/file`, { headers: glance.admin });
    expect(md5(bytes.body)).toBe(md5(data));
    // Made directly in Glance: the gateway serves it, metadata and bytes.
    const g = await request(glance.url, 'POST', '/v2/images', {
      headers: me.headers, body: { name: 'made-in-glance', disk_format: 'raw', container_format: 'bare' },
    });
    const gid = g.json().id as string;
    const gput = await request(glance.url, 'PUT', `/v2/images/${gid}/file`, {
      headers: { ...me.headers, 'Content-Type': 'application/octet-stream' }, body: data,
    });
    expect(gput.status).toBe(204);
    expect((await request(t.url, 'GET', `/v2/images/${gid}`, { headers: me.headers })).json()).toMatchObject({ id: gid, owner: me.project });
    const down = await request(t.url, 'GET', `/v2/images/${gid}/file`, { headers: me.headers });
    expect(md5(down.body)).toBe(md5(data));
    // Isolation is Glance's own: another project sees neither.
    for (const i of [id, gid]) expect((await request(t.url, 'GET', `/v2/images/${i}`, { headers: t.who('q').headers })).status).toBe(404);
    for (const i of [id, gid]) expect((await request(t.url, 'DELETE', `/v2/images/${i}`, { headers: me.headers })).status).toBe(204);
    expect((await request(glance.url, 'GET', `/v2/images/${id}`, { headers: glance.admin })).status).toBe(404);
  });
});
