/**
 * The ImageCore conformance suite: one set of behaviours (spec /work/shared/spec/v2-api.md) that
 * every ImageCore implementation must show, written only against the interface. Run it with
 *
 *   describeCoreConformance('embedded', async () => ({ core, cleanup }));
 *
 * The factory is called once per suite run (beforeAll) and its cleanup once at the end (afterAll).
 * It MUST configure the core as CONFORMANCE_REQUIREMENTS says (small image size cap, glance-direct
 * import, single store); the suite is written so that images already present in the core (a shared
 * upstream Glance) do not disturb it.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { dataTests } from './data-part.js';
import { Harness, type CoreFactory } from './harness.js';
import { imageTests } from './images-part.js';
import { listTests } from './list-part.js';
import { sharingTests } from './sharing-part.js';
import { visibilityTests } from './visibility-part.js';

export { CONFORMANCE_REQUIREMENTS, type CoreFactory, type CoreUnderTest } from './harness.js';

export function describeCoreConformance(name: string, makeCore: CoreFactory): void {
  describe(`ImageCore conformance: ${name}`, () => {
    let harness: Harness | undefined;
    const h = (): Harness => {
      if (harness === undefined) throw new Error('core factory did not run (see beforeAll error)');
      return harness;
    };
    beforeAll(async () => {
      harness = new Harness(await makeCore());
    });
    afterAll(async () => {
      await harness?.dispose();
    });

    imageTests(h);
    visibilityTests(h);
    sharingTests(h);
    listTests(h);
    dataTests(h);
  });
}
