/** openstacksdk image v1 proxy against the embedded gateway (scenario: v1-openstacksdk.scenario.ts). */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { removeTempDirs, startGateway, type Gateway } from './gateway.js';
import { noauthTarget } from './target.js';
import { openstacksdkV1Scenario } from './v1-openstacksdk.scenario.js';

let gw: Gateway;

beforeAll(async () => {
  gw = await startGateway();
});

afterAll(async () => {
  await gw?.stop();
  removeTempDirs();
});

openstacksdkV1Scenario(() => noauthTarget(gw.url, randomUUID().slice(0, 6)));
