/** openstackclient image v1 against the embedded gateway (scenario: v1-openstackclient.scenario.ts). */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { removeTempDirs, startGateway, type Gateway } from './gateway.js';
import { noauthTarget } from './target.js';
import { openstackclientV1Scenario } from './v1-openstackclient.scenario.js';

let gw: Gateway;

beforeAll(async () => {
  gw = await startGateway();
});

afterAll(async () => {
  await gw?.stop();
  removeTempDirs();
});

openstackclientV1Scenario(() => noauthTarget(gw.url, randomUUID().slice(0, 6)));
