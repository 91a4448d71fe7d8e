/** The seed-000 curl walkthrough against the embedded gateway (scenario: curl-walkthrough.scenario.ts). */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { curlWalkthroughScenario } from './curl-walkthrough.scenario.js';
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

curlWalkthroughScenario(() => noauthTarget(gw.url, randomUUID().slice(0, 8)));
