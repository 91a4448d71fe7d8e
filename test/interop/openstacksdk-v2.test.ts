/** openstacksdk image v2 against the embedded gateway (scenario: openstacksdk-v2.scenario.ts). */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { removeTempDirs, startGateway, type Gateway } from './gateway.js';
import { openstacksdkV2Scenario } from './openstacksdk-v2.scenario.js';
import { noauthTarget } from './target.js';

let gw: Gateway;

beforeAll(async () => {
  gw = await startGateway();
});

afterAll(async () => {
  await gw?.stop();
  removeTempDirs();
});

openstacksdkV2Scenario(() => noauthTarget(gw.url, randomUUID().slice(0, 8)));
