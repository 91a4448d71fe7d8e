/** glanceclient v2 CLI against the embedded gateway (scenario: glanceclient-v2.scenario.ts). */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { glanceclientV2Scenario } from './glanceclient-v2.scenario.js';
import { removeTempDirs, startGateway, type Gateway } from './gateway.js';
import { noauthTarget } from './target.js';

let gw: Gateway;

beforeAll(async () => {
  gw = await startGateway();
});

afterAll(async () => {
  await gw?.stop();
  removeTempDirs();
});

glanceclientV2Scenario(() => noauthTarget(gw.url, randomUUID().slice(0, 8)));
