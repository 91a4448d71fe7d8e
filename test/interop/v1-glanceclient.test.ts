/** glanceclient v1 CLI against the embedded gateway (scenario: v1-glanceclient.scenario.ts). */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { removeTempDirs, startGateway, type Gateway } from './gateway.js';
import { noauthTarget } from './target.js';
import { glanceclientV1Scenario } from './v1-glanceclient.scenario.js';

let gw: Gateway;

beforeAll(async () => {
  gw = await startGateway({ env: { GLANCE_GATEWAY_FETCH_ALLOW: '127.0.0.1/32', GLANCE_GATEWAY_FETCH_PORTS: 'any' } });
});

afterAll(async () => {
  await gw?.stop();
  removeTempDirs();
});

glanceclientV1Scenario(() => noauthTarget(gw.url, randomUUID().slice(0, 6)));
